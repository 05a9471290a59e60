import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { COMMANDS, parseCommand } from '../../src/cli/commands';

/* The `mlplane` command as a user runs it: bin/mlplane on the compiled entry point, in its own process. */

const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };

function mlplane(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(path.join(projectRoot, 'bin', 'mlplane'), args, {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('mlplane command line', () => {
  it('prints help on stdout and exits 0, listing each command once, even with a broken configuration', () => {
    for (const args of [['--help'], ['help'], [], ['start', '--help']]) {
      const result = mlplane(args, { PORT: 'abc' });
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({ args, status: 0, stderr: '' });
      for (const command of COMMANDS) {
        expect(result.stdout.match(new RegExp(`^  ${command.name} `, 'gm'))).toHaveLength(1);
      }
    }
  });

  it('prints the version on stdout and exits 0', () => {
    const result = mlplane(['--version']);
    expect(result).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses an unknown command in one line with exit 2', () => {
    const result = mlplane(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^mlplane: unknown command "frobnicate" \(commands: start, serve, worker, migrate, apikey, emit-schema; see mlplane --help\)\n$/,
    );
  });

  it('reports a bad configuration in one line without a stack trace, exit 1', () => {
    const result = mlplane(['migrate'], { PORT: 'abc' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mlplane migrate: PORT must be a non-negative integer, got "abc"\n');
    expect(result.stdout).toBe('');
  });

  it('reports a worker without a database in one line', () => {
    const result = mlplane(['worker'], { DATABASE_URL: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mlplane worker: mlplane worker needs DATABASE_URL (npm start passes it to the worker it supervises)\n');
  });

  it('parses help and version flags before anything else', () => {
    expect(parseCommand(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommand(['-v'])).toEqual({ kind: 'version' });
    expect(parseCommand(['serve'])).toEqual({ kind: 'command', name: 'serve', args: [] });
  });
});
