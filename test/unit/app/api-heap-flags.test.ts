import { apiProcessExecArgv } from '../../../src/app/api-heap-flags';
import { loadConfig } from '../../../src/config/config';

describe('apiProcessExecArgv', () => {
  it("adds the semi-space size to this process's flags", () => {
    expect(apiProcessExecArgv(['-r', 'ts-register.js'], undefined, 32)).toEqual(['-r', 'ts-register.js', '--max-semi-space-size=32']);
  });

  it("keeps a semi-space size of the user's, from the flags or NODE_OPTIONS, in either spelling", () => {
    expect(apiProcessExecArgv(['--max-semi-space-size=8'], undefined, 32)).toEqual(['--max-semi-space-size=8']);
    expect(apiProcessExecArgv(['--max_semi_space_size=8'], undefined, 32)).toEqual(['--max_semi_space_size=8']);
    expect(apiProcessExecArgv([], '--enable-source-maps  --max-semi-space-size=64', 32)).toEqual([]);
  });

  it("adds nothing for 0 (V8's default)", () => {
    expect(apiProcessExecArgv(['--enable-source-maps'], '', 0)).toEqual(['--enable-source-maps']);
  });
});

describe('MLPLANE_API_SEMI_SPACE_MB', () => {
  it("defaults to 0 (V8's default) and takes 0 to 256", () => {
    expect(loadConfig({}).apiSemiSpaceMb).toBe(0);
    expect(loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '32' }).apiSemiSpaceMb).toBe(32);
    expect(loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '256' }).apiSemiSpaceMb).toBe(256);
  });

  it('refuses a value over 256 or not a non-negative integer, naming the variable', () => {
    expect(() => loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '257' })).toThrow('MLPLANE_API_SEMI_SPACE_MB must be at most 256, got "257"');
    expect(() => loadConfig({ MLPLANE_API_SEMI_SPACE_MB: '1.5' })).toThrow('MLPLANE_API_SEMI_SPACE_MB must be a non-negative integer, got "1.5"');
  });
});
