import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { UNCAUGHT_EXCEPTION_MESSAGE, UNHANDLED_REJECTION_MESSAGE } from '../../src/app/process-guards';
import { waitFor } from './wait-for';

const ROOT = path.resolve(__dirname, '..', '..');

/** A TypeScript entry point of test/support run as a real child process, its output kept. */
export interface TestChild {
  readonly process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** True while it runs. */
  alive(): boolean;
  /** The fatal lines its process guards logged (an unhandled rejection or uncaught exception): must stay empty. */
  fatalLines(): string[];
  /** SIGKILL if still running. */
  kill(): void;
}

/** Starts `node -r ts-register test/support/<script>` with `env` added to this process's environment. */
export function startTestChild(script: string, env: Record<string, string>): TestChild {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'test/support', script)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    output: () => output,
    alive,
    waitForOutput: async (pattern, timeoutMs = 60_000) => {
      await waitFor(() => pattern.test(output) || !alive(), timeoutMs, 20);
      const match = pattern.exec(output);
      if (!match) throw new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before printing ${String(pattern)}:\n${output.slice(-3000)}`);
      return match;
    },
    fatalLines: () => output.split('\n').filter((line) => line.includes(UNHANDLED_REJECTION_MESSAGE) || line.includes(UNCAUGHT_EXCEPTION_MESSAGE)),
    kill: () => {
      if (alive()) child.kill('SIGKILL');
    },
  };
}
