/**
 * `sm-ssh space enable-remote-access <target> [--yes]`: turn SageMaker remote access on for a Studio space and
 * restart its app, after asking (the restart loses unsaved work in the app). Progress goes to stderr; stdout gets
 * the last line (how to connect) or, with --json, the space as it is afterwards.
 */
import { Command, Option } from 'commander';
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../../errors.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

interface IEnableFlags extends ICommonOptions {
  yes?: boolean;
  instanceType?: string;
  restart?: boolean;
  timeout: string;
}

/** The question, as the terminal shows it. */
export function restartQuestion(appType: string, space: string): string {
  return `Restarting the ${appType} app of ${space} loses unsaved work in it. Continue? [y/N] `;
}

/** Asks on the terminal; anything but y/yes is no. */
async function ask(question: string): Promise<boolean> {
  const prompt = createInterface({
    input: process.stdin,
    output: process.stderr
  });
  try {
    return /^\s*y(es)?\s*$/i.test(await prompt.question(question));
  } finally {
    prompt.close();
  }
}

function seconds(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(
      `--timeout "${text}" is not a number of seconds`,
      'pass e.g. --timeout 900 (the default, 15 minutes)'
    );
  }
  return Number(text) * 1000;
}

export function registerSpaceCommands(program: Command): void {
  const space = program
    .command('space')
    .description('Studio spaces reached through SageMaker remote access');
  withCommonOptions(
    space
      .command('enable-remote-access')
      .description(
        'turn SageMaker remote access on for a Studio space and restart its app (unsaved work in the app is lost)'
      )
      .argument(
        '<target>',
        'the space: <space>.<domain-id>.space.sagemaker or its ARN'
      )
      .option('--yes', 'restart the app without asking')
      .addOption(
        new Option(
          '--instance-type <type>',
          'recreate the app on this instance type (remote access needs at least 8 GiB, e.g. ml.t3.large)'
        )
      )
      .option(
        '--restart',
        'restart the app even when remote access is already on'
      )
      .addOption(
        new Option(
          '--timeout <seconds>',
          'how long the update and the restart may take'
        ).default('900')
      )
  ).action(async (target: string, flags: IEnableFlags) => {
    const timeoutMs = seconds(flags.timeout);
    const { enableRemoteAccess } = await import('../../spaces/enable.js');
    const { remoteAccessProblem, spaceTargetName } =
      await import('../../spaces/describe.js');
    const steps: string[] = [];
    const space = await enableRemoteAccess(await clientsFor(flags), target, {
      timeoutMs,
      instanceType: flags.instanceType,
      restart: flags.restart,
      onStep: text => {
        steps.push(text);
        process.stderr.write(`sm-ssh space: ${text}\n`);
      },
      confirmRestart: async ({ space: name, appType }) => {
        if (flags.yes) {
          return true;
        }
        if (!process.stdin.isTTY) {
          throw new UsageError(
            `restarting the ${appType} app of ${name} loses unsaved work in it, and there is no terminal to ask`,
            'pass --yes to restart it'
          );
        }
        return ask(restartQuestion(appType, name));
      }
    });
    const name = spaceTargetName(space.domainId, space.spaceName);
    const problem = remoteAccessProblem(space);
    const output = outputFor(flags);
    output.result({ target: name, steps, space, ready: problem === null });
    output.line(
      problem === null
        ? `remote access is on: connect with  sm-ssh connect ${name}`
        : `remote access is ${space.remoteAccess === 'ENABLED' ? 'on' : 'off'}, but ${problem.message}: ${problem.hint ?? ''}`.replace(
            /: $/,
            ''
          )
    );
  });
}
