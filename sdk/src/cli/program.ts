import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { SmSshError } from '../errors.js';
import { registerConnectCommands } from './commands/connect.js';
import { registerCopyCommand } from './commands/cp.js';
import { registerForgetCommand } from './commands/forget.js';
import { registerForwardCommand } from './commands/forward.js';
import { registerJobCommands } from './commands/job.js';
import { registerListCommand } from './commands/list.js';
import { registerProxyCommand } from './commands/proxy.js';
import { registerRemoteCommand } from './commands/remote.js';
import { registerSandboxCommand } from './commands/sandbox.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSetupCommands } from './commands/setup.js';
import { registerSpaceCommands } from './commands/space.js';
import { registerSshConfigCommand } from './commands/ssh-config.js';

const packageJson = createRequire(import.meta.url)('../../package.json') as {
  version: string;
};

/** Exit codes: 0 success, 1 a failed operation or check, 2 bad input. */
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('sm-ssh')
    .description(
      'SSH into SageMaker jobs, endpoints, notebook instances and Studio apps through AWS Systems Manager'
    )
    .version(packageJson.version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(`sm-ssh: ${text.replace(/^error: /, 'error: ')}`)
    });
  registerSetupCommands(program);
  registerListCommand(program);
  registerConnectCommands(program);
  registerCopyCommand(program);
  registerProxyCommand(program);
  registerSshConfigCommand(program);
  registerSpaceCommands(program);
  registerJobCommands(program);
  registerForgetCommand(program);
  registerForwardCommand(program);
  registerSandboxCommand(program);
  registerRemoteCommand(program);
  registerServeCommand(program);
  program.commands.forEach(function propagate(command: Command): void {
    command.exitOverride();
    command.commands.forEach(propagate);
  });
  return program;
}

function reportError(
  error: unknown,
  debug: boolean,
  stderr: NodeJS.WritableStream
): number {
  if (error instanceof SmSshError) {
    stderr.write(`sm-ssh: error: ${error.message}\n`);
    if (error.hint) {
      stderr.write(`  hint: ${error.hint}\n`);
    }
  } else {
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(
      `sm-ssh: unexpected error: ${message.split('\n')[0]}\n  hint: rerun with --debug for the stack trace, and report it if it persists\n`
    );
  }
  if (debug && error instanceof Error && error.stack) {
    stderr.write(`${error.stack}\n`);
  }
  return error instanceof SmSshError ? error.exitCode : 1;
}

/** Runs the CLI and returns the exit code (the CLI never throws a stack trace at the user). */
export async function runCli(
  argv: string[],
  stderr: NodeJS.WritableStream = process.stderr
): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? 0
        : EXIT_USAGE;
    }
    return reportError(error, debug, stderr);
  }
}
