/** The options of every command that reaches a target by name, and how they become resolve/SSH options. */
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { IPrepareOptions } from '../ssh/index.js';
import { statePaths } from '../ssh/paths.js';
import { createSpinner } from './spinner.js';

export interface ITargetFlags {
  node?: string;
  notBefore?: string;
  timeout?: string;
  anyOwner?: boolean;
  identity?: string;
  configDir?: string;
  verbose?: boolean;
}

export function withTargetOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--node <n>', 'node of a multi-node job, from 1 (default 1)')
    )
    .addOption(
      new Option(
        '--not-before <time>',
        'ignore instances registered before this time (ISO 8601 or unix seconds): an earlier run of the same job name'
      )
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'how long to wait for the target to come Online'
      ).default('900')
    )
    .addOption(
      new Option(
        '--any-owner',
        'reach an instance whose SSHOwner is another user (admins; IAM still decides)'
      )
    )
    .addOption(
      new Option(
        '--identity <file>',
        'an existing private key instead of the one sm-ssh keeps'
      )
    )
    .addOption(
      new Option(
        '--config-dir <dir>',
        'where sm-ssh keeps its key and pinned host keys (default ~/.config/sm-ssh)'
      )
    )
    .addOption(new Option('--verbose', 'report each step on stderr'));
}

function positiveInteger(text: string, flag: string, hint: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) {
    throw new UsageError(
      `${flag} "${text}" is not a whole number from 1`,
      hint
    );
  }
  return value;
}

function parseTime(text: string): Date {
  const date = /^\d+$/.test(text)
    ? new Date(Number(text) * 1000)
    : new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--not-before "${text}" is not a time`,
      'pass ISO 8601 (2026-12-01T09:00:00Z) or unix seconds'
    );
  }
  return date;
}

/** Resolve and SSH options from the flags; `label` prefixes progress lines. Call `stop` once resolved. */
export function prepareOptions(
  flags: ITargetFlags,
  label: string,
  stderr: NodeJS.WriteStream = process.stderr
): IPrepareOptions & { stop(): void } {
  const timeout = Number(flags.timeout ?? '900');
  if (!/^\d+$/.test(flags.timeout ?? '900')) {
    throw new UsageError(
      `--timeout "${flags.timeout}" is not a number of seconds`,
      'pass e.g. --timeout 60, or 0 not to wait'
    );
  }
  const spinner = createSpinner(stderr);
  const log = (text: string) => {
    spinner.stop();
    stderr.write(`${label}: ${text}\n`);
  };
  return {
    node:
      flags.node === undefined
        ? undefined
        : positiveInteger(flags.node, '--node', 'nodes are numbered from 1'),
    notBefore: flags.notBefore ? parseTime(flags.notBefore) : undefined,
    timeoutMs: timeout * 1000,
    anyOwner: flags.anyOwner,
    identityFile: flags.identity,
    paths: statePaths(flags.configDir),
    onProgress: flags.verbose ? log : undefined,
    // waiting always shows, so a long wait never looks like a hang
    onWait: progress =>
      spinner.update(
        `${label}: waiting for ${progress.target}: ${progress.reason}`
      ),
    stop: () => spinner.stop()
  };
}
