import pino from 'pino';
import pretty from 'pino-pretty';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function level(): string {
  const wanted = process.env.LOG_LEVEL?.toLowerCase();
  if (wanted && LEVELS.has(wanted)) return wanted;
  return process.env.NODE_ENV === 'test' ? 'warn' : 'info';
}

/**
 * Pretty, coloured lines when stdout is a terminal, JSON lines otherwise (files, pipes, log
 * collectors); `LOG_FORMAT=json` or `pretty` forces one. Pretty printing runs in this thread
 * (pino-pretty as a stream), so nothing is lost when a process exits.
 */
function destination(): pino.DestinationStream | undefined {
  const format = process.env.LOG_FORMAT?.toLowerCase();
  // Node types isTTY as a boolean, but it is undefined when stdout is not a terminal.
  const terminal = (process.stdout as { isTTY?: boolean }).isTTY === true;
  const wantsPretty = format === 'pretty' || (format !== 'json' && terminal);
  if (!wantsPretty) return undefined;
  return pretty({ colorize: terminal, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true });
}

/** The one structured logger of mlplane (see {@link destination}). `LOG_LEVEL` sets the level. */
export const logger = pino(
  {
    level: level(),
    base: { pid: process.pid, service: 'mlplane' },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  destination(),
);

export type Logger = typeof logger;
