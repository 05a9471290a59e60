import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runApiKeyCommand, type CommandOutput } from '../../../src/app/apikey-command';
import { ensureFirstAdminKey } from '../../../src/app/first-admin-key';
import { loadConfig } from '../../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { ApiKeyService } from '../../../src/services/auth/api-key.service';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

function capture(): CommandOutput & { stdout: string; stderr: string } {
  const result = {
    stdout: '',
    stderr: '',
    out: (text: string) => {
      result.stdout += text;
    },
    err: (text: string) => {
      result.stderr += text;
    },
  };
  return result;
}

describe('mlplane apikey (server stopped) and the first start', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let apiKeys: ApiKeyService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    apiKeys = new ApiKeyService(prisma, new RecordingPublisher());
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  afterEach(() => {
    process.exitCode = undefined;
  });

  const run = async (...args: string[]) => {
    const output = capture();
    await runApiKeyCommand(loadConfig({ DATABASE_URL: db.url }), args, output);
    return output;
  };

  it('creates a key the server accepts, lists it without its secret, and revokes it', async () => {
    const created = await run('create', '--name', 'ci', '--role', 'editor', '--expires-in-days', '30');
    const token = created.stdout.trim();
    expect(token).toMatch(/^mlp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/^created API key "ci" \(EDITOR, expires \d{4}-/);
    expect(await apiKeys.authenticate(token)).toMatchObject({ kind: 'key', name: 'ci', role: 'EDITOR' });

    const listed = await run('list');
    expect(listed.stdout.split('\n')[0]).toMatch(/^NAME\s+ROLE\s+DEPLOYMENTS\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED$/);
    expect(listed.stdout).toMatch(/\nci\s+EDITOR\s+-\s+\d{4}-/);
    expect(listed.stdout).not.toContain(token.slice('mlp_0123456789abcdef_'.length));

    const revoked = await run('revoke', 'ci');
    expect(revoked.stderr).toMatch(/^revoked API key "ci" at /);
    expect(await new ApiKeyService(prisma, new RecordingPublisher()).authenticate(token)).toBeNull();
  });

  it('refuses bad input with exit code 1 (domain) or 2 (usage), changing nothing', async () => {
    const before = await prisma.apiKey.count();
    expect((await run('create', '--name', 'x', '--role', 'OWNER')).stderr).toMatch(/^input\.role must be one of VIEWER, EDITOR, ADMIN, PREDICTOR/);
    expect(process.exitCode).toBe(1);
    expect((await run('create', '--name', 'p', '--role', 'PREDICTOR')).stderr).toMatch(
      /input\.deployments must name at least one deployment for a PREDICTOR key/,
    );
    expect((await run('create', '--role', 'VIEWER')).stderr).toMatch(/^create needs --name and --role/);
    expect(process.exitCode).toBe(2);
    expect((await run('revoke', 'nobody')).stderr).toMatch(/API key nobody not found/);
    expect(await prisma.apiKey.count()).toBe(before);
  });

  it('on a first start creates one ADMIN key, prints it framed once and writes <data dir>/admin-key with mode 0600', async () => {
    await prisma.apiKey.deleteMany();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlplane-first-'));
    let printed = '';
    const file = await ensureFirstAdminKey(apiKeys, dataDir, 'http://127.0.0.1:4000/graphql', (text) => (printed += text));
    expect(file).toBe(path.join(dataDir, 'admin-key'));
    const token = (await fs.readFile(file!, 'utf8')).trim();
    expect((await fs.stat(file!)).mode & 0o777).toBe(0o600);
    expect(await apiKeys.authenticate(token)).toMatchObject({ name: 'admin', role: 'ADMIN' });
    expect(printed).toContain(token);
    expect(printed).toContain('http://127.0.0.1:4000/graphql');
    expect(printed.split('\n')[0]).toMatch(/^\+-+\+$/);

    expect(await ensureFirstAdminKey(apiKeys, dataDir, 'http://127.0.0.1:4000/graphql', (text) => (printed += text))).toBeUndefined();
    expect(await prisma.apiKey.count()).toBe(1);
    await fs.rm(dataDir, { recursive: true });
  });

  it('refuses MLPLANE_AUTH=disabled unless the server binds to loopback', () => {
    expect(loadConfig({ MLPLANE_AUTH: 'disabled' }).auth).toBe('disabled');
    expect(loadConfig({ MLPLANE_AUTH: 'disabled', MLPLANE_HOST: '::1' }).auth).toBe('disabled');
    expect(() => loadConfig({ MLPLANE_AUTH: 'disabled', MLPLANE_HOST: '0.0.0.0' })).toThrow(
      /MLPLANE_AUTH=disabled is refused because MLPLANE_HOST=0\.0\.0\.0 is not a loopback address/,
    );
    expect(() => loadConfig({ MLPLANE_AUTH: 'off' })).toThrow(/MLPLANE_AUTH must be "enabled" or "disabled"/);
    expect(loadConfig({}).auth).toBe('keys');
  });
});
