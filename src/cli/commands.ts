/**
 * The command line's grammar: which commands exist, what `--help` and `--version` print, and how
 * argv is read. Running a command is main.ts's job; adding one is a row in COMMANDS plus a case there.
 */

export interface CommandSpec {
  name: string;
  summary: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'start', summary: 'API server and dashboard plus one supervised worker; embedded PostgreSQL when DATABASE_URL is unset' },
  { name: 'serve', summary: 'API server and dashboard only (production replicas)' },
  { name: 'worker', summary: 'training worker only (production replicas; needs DATABASE_URL)' },
  { name: 'migrate', summary: 'apply pending migrations and exit' },
  { name: 'apikey', summary: 'create, list or revoke API keys (works with the server stopped; mlplane apikey help)' },
  { name: 'emit-schema', summary: 'write schema.graphql from the code' },
];

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'command'; name: string; args: string[] } | { kind: 'error'; message: string };

export function usage(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3;
  return [
    `mlplane ${version}: GraphQL MLOps control plane for TensorFlow.js models`,
    '',
    'usage: mlplane <command>',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'start and serve take --processes N: N API processes on one port (default: the number of',
    'cores for serve, 1 for start; MLPLANE_API_PROCESSES sets it too).',
    '',
    `  ${'--help'.padEnd(width)}print this help`,
    `  ${'--version'.padEnd(width)}print the version`,
    '',
    'Configuration is read from environment variables (PORT, DATABASE_URL, ...): see the README.',
    '',
  ].join('\n');
}

/** Reads argv (without node and the script). */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const first = argv.at(0);
  const rest = argv.slice(1);
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { kind: 'help' };
  if (first === '--version' || first === '-v' || first === 'version') return { kind: 'version' };
  // `apikey` has sub-commands with their own help; elsewhere `--help` anywhere asks for the help.
  if (first !== 'apikey' && (rest.includes('--help') || rest.includes('-h'))) return { kind: 'help' };
  if (!COMMANDS.some((c) => c.name === first)) {
    return { kind: 'error', message: `unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see mlplane --help)` };
  }
  return { kind: 'command', name: first, args: rest };
}

/** One line for any error: its message, without a stack. */
export function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error.message.split('\n')[0];
    return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(error);
}
