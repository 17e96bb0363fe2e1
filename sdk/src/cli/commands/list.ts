/** `sm-ssh list [--kind K] [--mine] [--json]`: the targets you can connect to, with their state. */
import { Command, Option } from 'commander';
import { TARGET_KINDS, type TargetKind } from '../../names/index.js';
import type { ITargetSummary } from '../../resolve/index.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

interface IListFlags extends ICommonOptions {
  kind?: TargetKind;
  mine?: boolean;
  endpoints: boolean;
}

export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) {
    return '-';
  }
  if (seconds < 60) {
    return `${seconds}s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m`;
  }
  if (seconds < 86400) {
    return `${Math.floor(seconds / 3600)}h`;
  }
  return `${Math.floor(seconds / 86400)}d`;
}

/** A plain table: columns as wide as their widest cell, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map(row => row[column].length))
  );
  return rows
    .map(row =>
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell.padEnd(widths[column])
        )
        .join('  ')
    )
    .join('\n');
}

function ownerCell(entry: ITargetSummary): string {
  if (entry.owner === '') {
    return '-';
  }
  // a space's owner is its user profile, not an IAM caller: "(you)" would be a guess
  return entry.mine && entry.via !== 'remote-access'
    ? `${entry.owner} (you)`
    : entry.owner;
}

/** SageMaker's status, and for a job launched with SSH where it is in its wait: `InProgress/waiting`. */
function statusCell(entry: ITargetSummary): string {
  return entry.job ? `${entry.status}/${entry.job.phase}` : entry.status;
}

/**
 * The table. VIA and REMOTE-ACCESS columns appear when a space is listed (the other targets are all
 * `ssm-instance`, so a listing without spaces keeps its original seven columns).
 */
export function rowsOf(targets: ITargetSummary[]): string[][] {
  const spaces = targets.some(entry => entry.via === 'remote-access');
  const extra = (entry: ITargetSummary) =>
    spaces
      ? [
          entry.via,
          entry.remoteAccess === undefined
            ? '-'
            : entry.remoteAccess === 'ENABLED'
              ? 'on'
              : 'off'
        ]
      : [];
  return [
    [
      'TARGET',
      'KIND',
      'STATUS',
      'PING',
      'NODES',
      'AGE',
      'OWNER',
      ...(spaces ? ['VIA', 'REMOTE-ACCESS'] : [])
    ],
    ...targets.map(entry => [
      entry.target,
      entry.kind,
      statusCell(entry),
      entry.ping,
      String(entry.nodes),
      formatAge(entry.ageSeconds),
      ownerCell(entry),
      ...extra(entry)
    ])
  ];
}

export function registerListCommand(program: Command): void {
  withCommonOptions(
    program
      .command('list')
      .description(
        'list the targets: jobs, endpoints, notebook instances and Studio apps that run SSH, and Studio spaces (remote access)'
      )
      .addOption(
        new Option('--kind <kind>', 'only this kind').choices(TARGET_KINDS)
      )
      .option('--mine', 'only your targets (SSHOwner is you)')
      .option(
        '--no-endpoints',
        'skip the log lookup of InService endpoints (one Logs Insights query each)'
      )
  ).action(async (flags: IListFlags) => {
    const { listTargets } = await import('../../resolve/index.js');
    const targets = await listTargets(await clientsFor(flags), {
      kind: flags.kind,
      mine: flags.mine,
      endpoints: flags.endpoints,
      onWarning: text => process.stderr.write(`sm-ssh list: ${text}\n`)
    });
    const output = outputFor(flags);
    output.result(targets);
    if (targets.length === 0) {
      output.line(
        flags.kind === 'space'
          ? 'no Studio spaces: create one in SageMaker Studio, or check --region'
          : 'no targets: start a job with SSH, or check --region'
      );
      return;
    }
    output.line(table(rowsOf(targets)));
  });
}
