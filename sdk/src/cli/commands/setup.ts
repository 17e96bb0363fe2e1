/** `sm-ssh setup print|check|apply|remove`. */
import { Command, Option } from 'commander';
import { parseRegionList } from '../../aws/regions.js';
import { UsageError } from '../../errors.js';
import type {
  EvaluatorChoice,
  ICheckOptions,
  ICheckReport,
  ISetupChange
} from '../../policies/index.js';

/** The setup capability, loaded when a setup command runs (it pulls in the IAM, STS and SSM clients). */
const policies = () => import('../../policies/index.js');
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';
import { indent, type IOutput } from '../output.js';

interface ITargetFlags extends ICommonOptions {
  sagemakerRole?: string;
  userRole?: string;
  regions?: string;
  studio?: boolean;
  evaluator?: EvaluatorChoice;
  remoteAccess?: boolean;
  spaceOwnerProfile?: string;
}

const REMOTE_ACCESS_HELP =
  "also the user role's permissions for SageMaker remote access to Studio spaces (sagemaker:StartSession, the space reads of list)";
const SPACE_OWNER_PROFILE_HELP =
  'with --remote-access: the user profile whose spaces the role may reach (needed outside Studio, whose requests carry no sagemaker:DomainId)';

function withRemoteAccessOptions(command: Command): Command {
  return command
    .option('--remote-access', REMOTE_ACCESS_HELP)
    .option(
      '--space-owner-profile <user-profile-arn>',
      SPACE_OWNER_PROFILE_HELP
    );
}

function withTargetOptions(command: Command): Command {
  return withCommonOptions(
    command
      .option(
        '--sagemaker-role <arn>',
        'the SageMaker execution role the jobs run as'
      )
      .option(
        '--user-role <arn>',
        "the role users connect with (default: the caller's own role)"
      )
      .option(
        '--regions <r1,r2>',
        'regions whose SSM tier to check (default: --region)'
      )
      .option(
        '--studio',
        'the Studio case: one execution role is both the SageMaker role and the user role'
      )
      .addOption(
        new Option(
          '--evaluator <how>',
          "IAM's simulator, our offline evaluator, or the simulator when reachable"
        )
          .choices(['auto', 'iam', 'local'])
          .default('auto')
      )
  );
}

function targetOptions(flags: ITargetFlags): ICheckOptions {
  return {
    sagemakerRoleArn: flags.sagemakerRole,
    userRoleArn: flags.userRole,
    studio: flags.studio,
    regions:
      flags.regions === undefined ? undefined : parseRegionList(flags.regions),
    evaluator: flags.evaluator,
    remoteAccess: flags.remoteAccess,
    spaceOwnerProfile: flags.spaceOwnerProfile
  };
}

const STATUS_WIDTH = 8;
const MAX_REASONS = 3;

function printReport(out: IOutput, report: ICheckReport): void {
  out.line(`Account ${report.account}, regions ${report.regions.join(', ')}`);
  if (report.evaluatorNote) {
    out.line(`(${report.evaluatorNote})`);
  }
  let subject = '';
  for (const item of report.items) {
    if (item.subject !== subject) {
      subject = item.subject;
      const heading =
        item.group === 'tier'
          ? `Region ${subject}`
          : subject === report.sagemakerRole && subject === report.userRole
            ? `Execution role (SageMaker and user role) ${subject}`
            : subject === report.sagemakerRole
              ? `SageMaker role ${subject}`
              : `User role ${subject}`;
      out.line();
      out.line(heading);
    }
    out.line(`  ${item.status.padEnd(STATUS_WIDTH)} ${item.title}`);
    item.reasons
      .slice(0, MAX_REASONS)
      .forEach(reason => out.line(`           - ${reason}`));
    if (item.reasons.length > MAX_REASONS) {
      out.line(
        `           - … and ${item.reasons.length - MAX_REASONS} more (--json lists all)`
      );
    }
    if (item.fix) {
      out.line(`           fix: add to ${item.fix.policyName}:`);
      out.line(
        indent(JSON.stringify(item.fix.statement, null, 2), '             ')
      );
    }
    if (item.command) {
      out.line(`           fix: ${item.command}`);
    }
    if (item.note) {
      out.line(`           note: ${item.note}`);
    }
  }
  out.line();
  const { ok, missing, warnings } = report.summary;
  out.line(
    report.ok
      ? `PASS: ${ok} OK, ${warnings} warning(s)`
      : `FAIL: ${missing} missing, ${ok} OK, ${warnings} warning(s) — add what is shown above, or run \`sm-ssh setup apply\` with the same roles`
  );
}

function printChanges(
  out: IOutput,
  changes: ISetupChange[],
  dryRun: boolean
): void {
  for (const change of changes) {
    out.line(`${dryRun ? 'would ' : ''}${change.summary}`);
    change.diff.forEach(line => out.line(`    ${line}`));
  }
}

function registerPrint(setup: Command): void {
  withCommonOptions(
    setup
      .command('print')
      .description(
        'print the trust policy, SSHSageMakerServerPolicy and SSHSageMakerClientPolicy of the setup guide, filled in'
      )
      .requiredOption(
        '--sagemaker-role-arn <arn>',
        'the SageMaker execution role'
      )
      .option(
        '--account <id>',
        "account of the managed instances (default: the role's account)"
      )
      .addOption(
        new Option(
          '--partition <partition>',
          "AWS partition (default: the role's)"
        )
      )
      .option(
        '--remote-access',
        'also SSHSageMakerRemoteAccessPolicy and SSHSageMakerRemoteAccessEnablePolicy, for Studio spaces'
      )
      .option(
        '--space-owner-profile <user-profile-arn>',
        SPACE_OWNER_PROFILE_HELP
      )
  ).action(
    async (
      flags: ICommonOptions & {
        sagemakerRoleArn: string;
        account?: string;
        partition?: string;
        remoteAccess?: boolean;
        spaceOwnerProfile?: string;
      }
    ) => {
      const policy = await policies();
      const options = {
        sagemakerRoleArn: flags.sagemakerRoleArn,
        account: flags.account,
        partition: flags.partition
      };
      const documents = policy.setupDocuments(options);
      if (flags.spaceOwnerProfile !== undefined && !flags.remoteAccess) {
        throw new UsageError(
          '--space-owner-profile only means something with --remote-access',
          'add --remote-access, or drop --space-owner-profile'
        );
      }
      const role = policy.parseRoleArn(
        flags.sagemakerRoleArn,
        '--sagemaker-role-arn'
      );
      const remote = flags.remoteAccess
        ? policy.remoteAccessDocuments({
            account: flags.account ?? role.account,
            partition: flags.partition ?? role.partition,
            spaceOwnerProfile: flags.spaceOwnerProfile
          })
        : undefined;
      const out = outputFor(flags);
      out.result(remote ? { ...documents, ...remote } : documents);
      const sections: Array<[string, unknown]> = [
        [
          'Trust policy of the SageMaker role (IAM → Roles → Trust relationships)',
          documents.trustPolicy
        ],
        [
          'SSHSageMakerServerPolicy (inline policy of the SageMaker role)',
          documents.serverPolicy
        ],
        [
          'SSHSageMakerClientPolicy (inline policy of the user role)',
          documents.clientPolicy
        ]
      ];
      if (remote) {
        sections.push(
          [
            'SSHSageMakerRemoteAccessPolicy (inline policy of the user role: connect to and list Studio spaces)',
            remote.remoteAccessPolicy
          ],
          [
            'SSHSageMakerRemoteAccessEnablePolicy (inline policy of the user role, only for `sm-ssh space enable-remote-access`)',
            remote.remoteAccessEnablePolicy
          ]
        );
      }
      sections.forEach(([title, document], index) => {
        out.line(`${index > 0 ? '\n' : ''}# ${title}`);
        out.line(JSON.stringify(document, null, 4));
      });
      if (remote) {
        out.line(`\n# note: ${remote.note}`);
      }
    }
  );
}

function registerCheck(setup: Command): void {
  withTargetOptions(
    withRemoteAccessOptions(
      setup
        .command('check')
        .description(
          'check the account against the setup guide: OK, MISSING (with the fix) or WARNING per requirement'
        )
    )
  ).action(async (flags: ITargetFlags) => {
    const report = await (
      await policies()
    ).checkSetup(await clientsFor(flags), targetOptions(flags));
    const out = outputFor(flags);
    out.result(report);
    printReport(out, report);
    process.exitCode = report.ok ? 0 : 1;
  });
}

function registerApply(setup: Command): void {
  withTargetOptions(
    withRemoteAccessOptions(
      setup
        .command('apply')
        .description(
          'make the account pass `setup check`: trust statement, inline policies, advanced tier'
        )
    )
      .option(
        '--allow-enable',
        'with --remote-access: also grant what `sm-ssh space enable-remote-access` needs (UpdateSpace, CreateApp, DeleteApp)'
      )
      .option('--dry-run', 'print what would change, change nothing')
      .option(
        '--force',
        "replace an existing inline policy of the same name that differs from the guide's"
      )
  ).action(
    async (
      flags: ITargetFlags & {
        dryRun?: boolean;
        force?: boolean;
        allowEnable?: boolean;
      }
    ) => {
      if (flags.allowEnable && !flags.remoteAccess) {
        throw new UsageError(
          '--allow-enable only means something with --remote-access',
          'add --remote-access'
        );
      }
      const result = await (
        await policies()
      ).applySetup(await clientsFor(flags), {
        ...targetOptions(flags),
        dryRun: flags.dryRun,
        force: flags.force,
        allowEnable: flags.allowEnable
      });
      const out = outputFor(flags);
      out.result(result);
      if (result.changes.length === 0) {
        out.line(
          result.before.ok
            ? 'Nothing to change: the account already passes `sm-ssh setup check`.'
            : 'Nothing apply can change.'
        );
      }
      printChanges(out, result.changes, result.dryRun);
      result.blocked.forEach(line => out.line(`cannot fix: ${line}`));
      if (result.after) {
        out.line(
          result.after.ok
            ? 'Done: `sm-ssh setup check` passes.'
            : `Done, but ${result.after.summary.missing} requirement(s) still fail: run \`sm-ssh setup check\` for the reasons.`
        );
      }
      const finalReport = result.after ?? result.before;
      process.exitCode =
        result.dryRun || finalReport.ok
          ? result.blocked.length > 0
            ? 1
            : 0
          : 1;
    }
  );
}

function registerRemove(setup: Command): void {
  withTargetOptions(
    setup
      .command('remove')
      .description(
        'take out exactly what `setup apply` added (the advanced tier only with --tier)'
      )
      .option('--dry-run', 'print what would change, change nothing')
      .option(
        '--tier',
        'also reset the SSM activation tier of the regions to the default (standard)'
      )
  ).action(
    async (flags: ITargetFlags & { dryRun?: boolean; tier?: boolean }) => {
      if (!flags.sagemakerRole && !flags.userRole && !flags.studio) {
        throw new UsageError(
          'setup remove needs the roles apply was run with',
          'pass --sagemaker-role ARN and/or --user-role ARN (or --studio)'
        );
      }
      const result = await (
        await policies()
      ).removeSetup(await clientsFor(flags), {
        ...targetOptions(flags),
        dryRun: flags.dryRun,
        tier: flags.tier
      });
      const out = outputFor(flags);
      out.result(result);
      if (result.changes.length === 0) {
        out.line('Nothing to remove: apply added nothing to these roles.');
      }
      printChanges(out, result.changes, result.dryRun);
    }
  );
}

export function registerSetupCommands(program: Command): void {
  const setup = program
    .command('setup')
    .description(
      'the IAM and SSM setup of the guide: print, check, apply, remove'
    );
  registerPrint(setup);
  registerCheck(setup);
  registerApply(setup);
  registerRemove(setup);
}
