/**
 * `sm-ssh job wrap|start|release`: a training or processing job with SSH. `wrap` prints the request changed for SSH
 * (what `aws sagemaker create-*-job --cli-input-json` takes), `start` uploads the bundle, creates the job and waits
 * until it can be reached (then prints how to connect and to end its wait, or connects), `release` ends the wait.
 * Every flag and the request file are checked before any AWS call.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { RemoteFile } from '../../jobs/bundle.js';
import type {
  IJobLaunchProgress,
  IReleaseReport,
  IWrappedJob,
  SshJobKind
} from '../../jobs/types.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';
import { createSpinner } from '../spinner.js';
import { registerConnectCommands } from './connect.js';

const KINDS: readonly SshJobKind[] = ['training', 'processing'];
/** The defaults of `IJobSshOptions` and the launch, as the help shows them. */
const DEFAULT_PREFIX = 'sm-ssh/jobs';
const DEFAULT_WAIT = '600';
const DEFAULT_SSH_NODES = '2';
const DEFAULT_TIMEOUT = '900';
/** SageMaker's longest job (5 days): a longer wait for a connection cannot be meant. */
const MAX_WAIT = 432000;

interface IWrapFlags extends ICommonOptions {
  kind?: SshJobKind;
  owner?: string;
  bucket?: string;
  prefix: string;
  wait: string;
  sshNodes: string;
  ssmRole?: string;
  imageEntrypoint?: string;
}

interface IStartFlags extends IWrapFlags {
  connect?: boolean;
  node?: string;
  /** `--no-wait`: false; its attribute is not `wait`, which is the seconds of `--wait`. */
  waitOnline?: boolean;
  check: boolean;
  timeout: string;
}

/** `--no-wait` beside `--wait <seconds>`: commander would give both one attribute, so this one is `waitOnline`. */
class NoWaitOption extends Option {
  attributeName(): string {
    return 'waitOnline';
  }
}

function wholeNumber(
  text: string,
  flag: string,
  min: number,
  max: number,
  hint: string
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `${flag} "${text}" is not a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`,
      hint
    );
  }
  return value;
}

function imageEntrypointOf(text: string | undefined): string[] | undefined {
  if (text === undefined) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some(word => typeof word !== 'string')
  ) {
    throw new UsageError(
      `--image-entrypoint ${text} is not a JSON array of strings`,
      'pass the image\'s ENTRYPOINT as JSON, e.g. --image-entrypoint \'["python3", "/opt/program/process.py"]\''
    );
  }
  return value as string[];
}

/** The request from a file or `-` (stdin): a JSON object, of the kind --kind says when given. */
export async function readRequest(
  source: string,
  kind: SshJobKind | undefined
): Promise<{ request: Record<string, unknown>; kind: SshJobKind }> {
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the request ${source === '-' ? 'from stdin' : source}: ${(error as Error).message.split('\n')[0]}`,
      'pass the path of a JSON request (aws sagemaker create-training-job --generate-cli-skeleton writes one), or - for stdin'
    );
  }
  const where = source === '-' ? 'the request on stdin' : source;
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${where} is not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`,
      'pass a CreateTrainingJob or CreateProcessingJob request as JSON'
    );
  }
  if (
    typeof request !== 'object' ||
    request === null ||
    Array.isArray(request)
  ) {
    throw new UsageError(
      `${where} is not a JSON object`,
      'pass a CreateTrainingJob or CreateProcessingJob request as JSON'
    );
  }
  const { requestKind } = await import('../../jobs/launch.js');
  const record = request as Record<string, unknown>;
  return { request: record, kind: requestKind(record, kind) };
}

/** Every wrap option checked, as `IJobWrapOptions`. */
function wrapOptions(flags: IWrapFlags) {
  return {
    kind: flags.kind,
    owner: flags.owner,
    bucket: flags.bucket,
    prefix: flags.prefix,
    waitSeconds: wholeNumber(
      flags.wait,
      '--wait',
      0,
      MAX_WAIT,
      'pass the seconds the job waits for a connection, 0 for none'
    ),
    sshNodes: wholeNumber(
      flags.sshNodes,
      '--ssh-nodes',
      1,
      Number.MAX_SAFE_INTEGER,
      'pass how many nodes, from the first, start SSH'
    ),
    ssmRole: flags.ssmRole,
    imageEntrypoint: imageEntrypointOf(flags.imageEntrypoint)
  };
}

function withWrapOptions(command: Command): Command {
  return withCommonOptions(
    command
      .argument(
        '<request>',
        'the CreateTrainingJob / CreateProcessingJob request as a JSON file, or - for stdin'
      )
      .addOption(
        new Option(
          '--kind <kind>',
          "the request's kind (default: what it is, by TrainingJobName or ProcessingJobName)"
        ).choices(KINDS)
      )
      .option(
        '--owner <user-id>',
        "SSHOwner of the job's instances (default: your STS UserId)"
      )
      .option(
        '--bucket <bucket>',
        "where the bundle goes (default: SageMaker's default bucket sagemaker-<region>-<account>)"
      )
      .addOption(
        new Option('--prefix <prefix>', 'the key prefix of bundles').default(
          DEFAULT_PREFIX
        )
      )
      .addOption(
        new Option(
          '--wait <seconds>',
          'how long the job waits for a connection before its command runs (0: no wait)'
        ).default(DEFAULT_WAIT)
      )
      .addOption(
        new Option(
          '--ssh-nodes <n>',
          'how many nodes, from the first, start SSH'
        ).default(DEFAULT_SSH_NODES)
      )
      .option(
        '--ssm-role <name>',
        "the activation's IAM role, name with path (default: the request's RoleArn)"
      )
      .option(
        '--image-entrypoint <json>',
        "the image's ENTRYPOINT as a JSON array, for a request without ContainerEntrypoint"
      )
  );
}

/** `job wrap --json`: the wrap without the files' bodies. */
export function wrapJson(wrapped: IWrappedJob<unknown>) {
  return {
    kind: wrapped.kind,
    jobName: wrapped.jobName,
    target: wrapped.target,
    bundleUri: wrapped.bundleUri,
    bundlePath: wrapped.bundlePath,
    command: wrapped.command,
    nodes: wrapped.nodes,
    sshNodes: wrapped.sshNodes,
    waitSeconds: wrapped.waitSeconds,
    uploads: wrapped.uploads.map(({ s3Uri, bytes, sha256 }) => ({
      s3Uri,
      bytes,
      sha256
    })),
    request: wrapped.request
  };
}

function registerWrap(job: Command): void {
  withWrapOptions(
    job
      .command('wrap')
      .description(
        'print the request changed for SSH (for aws sagemaker create-training-job --cli-input-json)'
      )
  )
    .option(
      '--upload',
      'also upload the bundle (creating the default bucket if missing)'
    )
    .action(
      async (source: string, flags: IWrapFlags & { upload?: boolean }) => {
        const options = wrapOptions(flags);
        const { request } = await readRequest(source, flags.kind);
        const { wrapJobRequest, uploadBundle } =
          await import('../../jobs/launch.js');
        const clients = await clientsFor(flags);
        const { wrapped, inDefaultBucket } = await wrapJobRequest(
          clients,
          request as never,
          options
        );
        const { remoteFilePath } = await import('../../jobs/bundle.js');
        const local = (key: string) =>
          remoteFilePath(key.slice(key.lastIndexOf('/') + 1) as RemoteFile);
        if (flags.upload) {
          await uploadBundle(clients, wrapped.uploads, {
            createBucket: inDefaultBucket,
            onProgress: text =>
              process.stderr.write(`sm-ssh job wrap: ${text}\n`)
          });
        } else {
          process.stderr.write(
            `sm-ssh job wrap: before creating the job, upload ${wrapped.uploads
              .map(upload => `${local(upload.key)} to ${upload.s3Uri}`)
              .join(' and ')} (or pass --upload)\n`
          );
        }
        process.stdout.write(
          `${JSON.stringify(flags.json ? wrapJson(wrapped) : wrapped.request, null, 2)}\n`
        );
      }
    );
}

/** Connects as `sm-ssh connect <target> [--node N]` does, with the same flags. */
async function connectTo(target: string, flags: IStartFlags): Promise<void> {
  const connect = new Command('sm-ssh').exitOverride();
  registerConnectCommands(connect);
  const args = ['connect', target, '--timeout', '60'];
  if (flags.node !== undefined) {
    args.push('--node', flags.node);
  }
  if (flags.profile !== undefined) {
    args.push('--profile', flags.profile);
  }
  if (flags.region !== undefined) {
    args.push('--region', flags.region);
  }
  await connect.parseAsync(args, { from: 'user' });
}

function registerStart(job: Command): void {
  withWrapOptions(
    job
      .command('start')
      .description(
        'upload the bundle, create the job with SSH and wait until it can be reached; then print how to connect, or connect'
      )
  )
    .option('--connect', 'then open a shell on it, as sm-ssh connect does')
    .addOption(
      new Option(
        '--node <n>',
        'with --connect: the node to connect to (from 1)'
      )
    )
    .addOption(
      new NoWaitOption(
        '--no-wait',
        'do not wait for the job to come Online (print how to connect once it has)'
      )
    )
    .option(
      '--no-check',
      "skip the check of the job role against the guide's server policy"
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'how long to wait for the SSH nodes to come Online'
      ).default(DEFAULT_TIMEOUT)
    )
    .action(async (source: string, flags: IStartFlags) => {
      const options = wrapOptions(flags);
      const wait = flags.waitOnline !== false;
      const timeout = wholeNumber(
        flags.timeout,
        '--timeout',
        0,
        Number.MAX_SAFE_INTEGER,
        'pass e.g. --timeout 900 (15 minutes)'
      );
      if (flags.node !== undefined) {
        wholeNumber(
          flags.node,
          '--node',
          1,
          Number.MAX_SAFE_INTEGER,
          'nodes are numbered from 1'
        );
        if (!flags.connect) {
          throw new UsageError(
            '--node only means something with --connect',
            'add --connect, or drop --node'
          );
        }
      }
      if (flags.connect && (!wait || flags.json)) {
        throw new UsageError(
          `--connect cannot go with ${flags.json ? '--json' : '--no-wait'}`,
          flags.json
            ? 'drop --json (the shell is the output), or --connect'
            : 'drop --no-wait: connecting needs the job Online'
        );
      }
      const { request } = await readRequest(source, flags.kind);
      const { startJobWithSsh } = await import('../../jobs/launch.js');
      const spinner = createSpinner(process.stderr);
      const onProgress = (progress: IJobLaunchProgress) => {
        if (progress.step === 'waiting-for-target') {
          spinner.update(`sm-ssh job start: ${progress.message}`);
        } else {
          spinner.stop();
          process.stderr.write(`sm-ssh job start: ${progress.message}\n`);
        }
      };
      let started;
      try {
        started = await startJobWithSsh(
          await clientsFor(flags),
          request as never,
          {
            ...options,
            check: flags.check,
            wait,
            timeoutMs: timeout * 1000,
            onProgress
          }
        );
      } finally {
        spinner.stop();
      }
      const output = outputFor(flags);
      output.result(started);
      if (flags.connect) {
        // stdout is the shell's: the commands go to stderr
        process.stderr.write(
          `sm-ssh job start: end the wait with  ${started.release}\n`
        );
        await connectTo(started.target, flags);
        return;
      }
      output.line(`connect:       ${started.connect}`);
      output.line(`end the wait:  ${started.release}`);
    });
}

function registerRelease(job: Command): void {
  withCommonOptions(
    job
      .command('release')
      .description(
        "end a job's wait for a connection, so that its own command runs"
      )
      .argument('<target>', 'my-job.training.sagemaker, or the job ARN')
      .addOption(
        new Option('--node <n>', 'only this node (from 1; default every node)')
      )
      .option(
        '--any-owner',
        'release a job whose SSHOwner is another user (admins; IAM still decides)'
      )
  ).action(
    async (
      target: string,
      flags: ICommonOptions & { node?: string; anyOwner?: boolean }
    ) => {
      const node =
        flags.node === undefined
          ? undefined
          : wholeNumber(
              flags.node,
              '--node',
              1,
              Number.MAX_SAFE_INTEGER,
              'nodes are numbered from 1'
            );
      const { releaseJob } = await import('../../jobs/release.js');
      const report: IReleaseReport = await releaseJob(
        await clientsFor(flags),
        target,
        { node, anyOwner: flags.anyOwner }
      );
      const output = outputFor(flags);
      output.result(report);
      for (const entry of report.nodes) {
        output.line(
          `${report.target} node ${entry.node} (${entry.instanceId}): ${entry.result}${entry.detail ? ` (${entry.detail})` : ''}`
        );
      }
      if (report.nodes.some(entry => entry.result === 'failed')) {
        process.exitCode = 1;
      }
    }
  );
}

export function registerJobCommands(program: Command): void {
  const job = program
    .command('job')
    .description(
      'training and processing jobs with SSH: wrap a request, start a job, end its wait'
    );
  registerWrap(job);
  registerStart(job);
  registerRelease(job);
}
