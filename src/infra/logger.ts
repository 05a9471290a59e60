import pino from 'pino';

/** The one structured logger of mlplane (JSON lines on stdout). `LOG_LEVEL` sets the level. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid, service: 'mlplane' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof logger;
