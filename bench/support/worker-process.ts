import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../src/config/paths';
import type { PrismaClient } from '../../src/infra/db/prisma-client';

/** Starts `mlplane worker` (the built one, dist/src/main.js) on `databaseUrl` and resolves once it takes jobs. */
export function startWorkerProcess(databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'main.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"worker ready"')) resolve(child);
    });
    child.once('exit', (code) => {
      reject(new Error(`mlplane worker exited with ${String(code)} before it was ready`));
    });
  });
}

/** SIGTERM to a worker started by startWorkerProcess; resolves when it has exited. */
export async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Resolves with a run's final status and summary, looking every `intervalMs` (a bound on the error of a wall time ended by it). */
export async function waitForRunEnd(prisma: PrismaClient, runId: string, intervalMs = 50): Promise<{ status: string; summary: Record<string, unknown> }> {
  for (;;) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
    if (ENDED.has(run.status)) return { status: run.status, summary: (run.summary ?? {}) as Record<string, unknown> };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
