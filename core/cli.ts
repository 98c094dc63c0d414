// The small command-line runner both binaries share: lazy command loading,
// help text, and errors printed as advice (stack traces only with --debug).
import { isCodedError } from './coded-error.ts';

export interface CliIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface CommandModule {
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export interface Program {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly commands: Readonly<Record<string, CommandEntry>>;
  /** Builds the error thrown for an unknown command or bad usage. */
  readonly usageError: (detail: string) => Error;
}

export function helpText(program: Program): string {
  const width = Math.max(...Object.keys(program.commands).map((name) => name.length));
  const lines = Object.entries(program.commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    `${program.name} ${program.version}: ${program.description}`,
    '',
    `Usage: ${program.name} <command> [options]`,
    '',
    'Commands:',
    ...lines,
    '',
    `Run "${program.name} <command> --help" for a command's options. Add --debug to any command for stack traces.`,
    '',
  ].join('\n');
}

export async function runProgram(program: Program, argv: string[], io: CliIO): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--debug');
  const [commandName, ...rest] = args;
  if (commandName === undefined || commandName === '--help' || commandName === '-h' || commandName === 'help') {
    io.stdout.write(helpText(program));
    return commandName === undefined ? 2 : 0;
  }
  if (commandName === '--version' || commandName === '-V') {
    io.stdout.write(`${program.version}\n`);
    return 0;
  }
  try {
    const entry = Object.hasOwn(program.commands, commandName) ? program.commands[commandName] : undefined;
    if (!entry) throw program.usageError(`unknown command "${commandName}"`);
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (thrown) {
    // node:util parseArgs refuses an unknown or malformed option: that is the user's usage, not a crash.
    const code = (thrown as { code?: unknown }).code;
    const error =
      typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
        ? program.usageError((thrown as Error).message.replace(/\.$/, ''))
        : thrown;
    io.stderr.write(describeError(program.name, error, debug));
    return isCodedError(error) && error.code.endsWith('_USAGE') ? 2 : 1;
  }
}

export function describeError(programName: string, error: unknown, debug: boolean): string {
  if (isCodedError(error)) {
    const stack = debug && error.stack ? `\n${error.stack}` : '';
    return `${programName}: ${error.message} [${error.code}]${stack}\n`;
  }
  const text = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  const hint = debug ? '' : ' (run again with --debug for details)';
  return `${programName}: unexpected error: ${text}${hint}\n`;
}

export function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
