import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoApiKey } from '../../../src/demo/api-key';

describe("the demo's API key", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-demo-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is MLPLANE_API_KEY when set, even with an admin-key file', () => {
    writeFileSync(path.join(dir, 'admin-key'), 'mlp_file\n');
    expect(demoApiKey({ MLPLANE_API_KEY: ' mlp_env ', MLPLANE_DATA_DIR: dir })).toEqual({ key: 'mlp_env', source: 'MLPLANE_API_KEY' });
  });

  it('is read from <MLPLANE_DATA_DIR>/admin-key when the variable is unset or empty', () => {
    writeFileSync(path.join(dir, 'admin-key'), 'mlp_file\n');
    expect(demoApiKey({ MLPLANE_DATA_DIR: dir })).toEqual({ key: 'mlp_file', source: path.join(dir, 'admin-key') });
    expect(demoApiKey({ MLPLANE_API_KEY: '', MLPLANE_DATA_DIR: dir })).toEqual({ key: 'mlp_file', source: path.join(dir, 'admin-key') });
  });

  it('is read from ./.mlplane/admin-key without MLPLANE_DATA_DIR', () => {
    const file = path.join(dir, '.mlplane', 'admin-key');
    expect(demoApiKey({}, dir)).toEqual({ key: undefined, source: `none (MLPLANE_API_KEY is unset and ${file} does not exist)` });
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'mlp_default\n');
    expect(demoApiKey({}, dir)).toEqual({ key: 'mlp_default', source: file });
  });
});
