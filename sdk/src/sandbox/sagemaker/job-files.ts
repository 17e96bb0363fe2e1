/**
 * What SageMaker puts in a job's containers before their command starts: the config files under `/opt/ml` (training:
 * `input/config/{hyperparameters,resourceconfig,inputdataconfig}.json`; processing:
 * `config/{processingjobconfig,resourceconfig}.json`), the empty directories the job writes to, and its S3 inputs
 * (training channels in `/opt/ml/input/data/<channel>/`, processing inputs in their `LocalPath`). Paths here are as
 * seen inside the container; the runner writes them below each node's private `/opt/ml`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { s3Sdk } from '../../aws/sdk.js';
import type { IJobLaunch } from './jobs.js';

/** Where the container's `/opt/ml` is. */
export const OPT_ML = '/opt/ml';

/** A job that cannot start; the message is its FailureReason, in SageMaker's words (`ClientError: …`). */
export class JobPreparationError extends Error {}

/** The machine's limit: every node is a set of processes on it. */
export const MAX_NODES = 16;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

/** One group of instances of the job (a training job's InstanceGroups, else the one group). */
interface IInstanceGroup {
  name: string;
  instanceType: string;
  count: number;
}

function instanceGroups(job: IJobLaunch): IInstanceGroup[] {
  if (job.kind === 'processing') {
    const cluster = record(
      record(job.request.ProcessingResources).ClusterConfig
    );
    return [
      {
        name: 'homogeneousCluster',
        instanceType: String(cluster.InstanceType ?? ''),
        count: Number(cluster.InstanceCount ?? 1)
      }
    ];
  }
  const resources = record(job.request.ResourceConfig);
  const groups = list(resources.InstanceGroups);
  if (groups.length > 0) {
    return groups.map(group => ({
      name: String(group.InstanceGroupName ?? ''),
      instanceType: String(group.InstanceType ?? ''),
      count: Number(group.InstanceCount ?? 0)
    }));
  }
  return [
    {
      name: 'homogeneousCluster',
      instanceType: String(resources.InstanceType ?? ''),
      count: Number(resources.InstanceCount ?? 1)
    }
  ];
}

/** How many containers the job has (`algo-1` … `algo-<n>`). */
export function nodeCount(job: IJobLaunch): number {
  const count = instanceGroups(job).reduce(
    (sum, group) => sum + group.count,
    0
  );
  if (!Number.isInteger(count) || count < 1) {
    throw new JobPreparationError(
      `ClientError: the job asks for ${count} instances; it needs at least 1`
    );
  }
  if (count > MAX_NODES) {
    throw new JobPreparationError(
      `ClientError: the job asks for ${count} instances; the sandbox runs at most ${MAX_NODES} per job, each as processes on its machine`
    );
  }
  return count;
}

export function hostName(node: number): string {
  return `algo-${node}`;
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** `resourceconfig.json` of node `node` (1-based) of `count`. */
function resourceConfig(
  job: IJobLaunch,
  node: number,
  count: number
): Record<string, unknown> {
  const hosts = Array.from({ length: count }, (_, index) =>
    hostName(index + 1)
  );
  if (job.kind === 'processing') {
    return { current_host: hostName(node), hosts };
  }
  let first = 0;
  const groups = instanceGroups(job).map(group => {
    const members = hosts.slice(first, first + group.count);
    first += group.count;
    return { ...group, hosts: members };
  });
  const mine =
    groups.find(group => group.hosts.includes(hostName(node))) ?? groups[0];
  return {
    current_host: hostName(node),
    current_instance_type: mine.instanceType,
    current_group_name: mine.name,
    hosts,
    instance_groups: groups.map(group => ({
      instance_group_name: group.name,
      instance_type: group.instanceType,
      hosts: group.hosts
    })),
    network_interface_name: 'eth0'
  };
}

function inputDataConfig(job: IJobLaunch): Record<string, unknown> {
  const spec = record(job.request.AlgorithmSpecification);
  return Object.fromEntries(
    list(job.request.InputDataConfig).map(channel => {
      const source = record(record(channel.DataSource).S3DataSource);
      return [
        String(channel.ChannelName),
        {
          ...(channel.ContentType === undefined
            ? {}
            : { ContentType: channel.ContentType }),
          TrainingInputMode:
            channel.InputMode ?? spec.TrainingInputMode ?? 'File',
          S3DistributionType:
            source.S3DataDistributionType ?? 'FullyReplicated',
          RecordWrapperType: channel.RecordWrapperType ?? 'None'
        }
      ];
    })
  );
}

/**
 * The files SageMaker writes for node `node` (1-based) of `count`, by path inside the container. Processing's
 * `processingjobconfig.json` is the request with the job's ARN and name, which `sm-ssh-init.sh` and `sm-ssh remote
 * init` read to tag the instance.
 */
export function configFiles(
  job: IJobLaunch,
  node: number,
  count: number
): Record<string, string> {
  if (job.kind === 'processing') {
    return {
      [`${OPT_ML}/config/processingjobconfig.json`]: json({
        ProcessingJobArn: job.arn,
        ProcessingJobName: job.name,
        ...job.request
      }),
      [`${OPT_ML}/config/resourceconfig.json`]: json(
        resourceConfig(job, node, count)
      )
    };
  }
  return {
    [`${OPT_ML}/input/config/hyperparameters.json`]: json(
      record(job.request.HyperParameters)
    ),
    [`${OPT_ML}/input/config/resourceconfig.json`]: json(
      resourceConfig(job, node, count)
    ),
    [`${OPT_ML}/input/config/inputdataconfig.json`]: json(inputDataConfig(job))
  };
}

/** Directories the job's command expects to exist (inside the container). */
export function jobDirectories(job: IJobLaunch): string[] {
  if (job.kind === 'processing') {
    return [`${OPT_ML}/config`, `${OPT_ML}/processing`];
  }
  return [
    `${OPT_ML}/input/config`,
    `${OPT_ML}/input/data`,
    `${OPT_ML}/model`,
    `${OPT_ML}/output/data`,
    `${OPT_ML}/code`
  ];
}

/** One S3 input of the job: a training channel or a processing input. */
export interface IJobInput {
  /** Channel or input name. */
  name: string;
  s3Uri: string;
  bucket: string;
  /** The key prefix (`S3Prefix`), possibly empty. */
  prefix: string;
  /** Where its files go, inside the container. */
  localPath: string;
  /** `ShardedByS3Key`: each node gets every n-th object; else every node gets all. */
  sharded: boolean;
}

function parseS3Uri(
  uri: string,
  what: string
): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) {
    throw new JobPreparationError(
      `ClientError: the S3Uri "${uri}" of ${what} is not an s3://bucket/prefix URL`
    );
  }
  return { bucket: match[1], prefix: match[2] };
}

function s3Input(
  name: string,
  what: string,
  uri: unknown,
  dataType: unknown,
  distribution: unknown,
  localPath: string
): IJobInput {
  if (typeof uri !== 'string') {
    throw new JobPreparationError(
      `ClientError: ${what} has no S3 data source; the sandbox downloads S3 inputs only`
    );
  }
  if ((dataType ?? 'S3Prefix') !== 'S3Prefix') {
    throw new JobPreparationError(
      `ClientError: ${what} has S3DataType ${String(dataType)}; the sandbox downloads S3Prefix inputs only`
    );
  }
  return {
    name,
    s3Uri: uri,
    ...parseS3Uri(uri, what),
    localPath,
    sharded: distribution === 'ShardedByS3Key'
  };
}

/** The job's S3 inputs; an input the sandbox cannot download is a JobPreparationError. */
export function jobInputs(job: IJobLaunch): IJobInput[] {
  if (job.kind === 'training') {
    return list(job.request.InputDataConfig).map(channel => {
      const name = String(channel.ChannelName ?? '');
      const source = record(record(channel.DataSource).S3DataSource);
      return s3Input(
        name,
        `channel ${name}`,
        source.S3Uri,
        source.S3DataType,
        source.S3DataDistributionType,
        `${OPT_ML}/input/data/${name}`
      );
    });
  }
  return list(job.request.ProcessingInputs).map(input => {
    const name = String(input.InputName ?? '');
    const what = `processing input ${name}`;
    const source = record(input.S3Input);
    const localPath = posix.normalize(String(source.LocalPath ?? ''));
    if (!localPath.startsWith(`${OPT_ML}/`)) {
      throw new JobPreparationError(
        `ClientError: the LocalPath "${String(source.LocalPath)}" of ${what} is not under ${OPT_ML}/`
      );
    }
    return s3Input(
      name,
      what,
      source.S3Uri,
      source.S3DataType,
      source.S3DataDistributionType,
      localPath
    );
  });
}

function missing(input: IJobInput, job: IJobLaunch): JobPreparationError {
  const role = String(job.request.RoleArn ?? '');
  return new JobPreparationError(
    `ClientError: No S3 objects found under S3 URL "${input.s3Uri}" given in input data source. Please ensure that the bucket exists in the selected region (${job.scope.region}), that objects exist under that S3 prefix, and that the role "${role}" has "s3:ListBucket" permissions on bucket "${input.bucket}".`
  );
}

/** The object keys of an input, and where each goes relative to its local path. */
async function inputObjects(
  s3: S3Client,
  input: IJobInput,
  job: IJobLaunch
): Promise<Array<{ key: string; path: string }>> {
  const { ListObjectsV2Command } = s3Sdk();
  // where an object goes below the local path, as the SageMaker Python SDK's local mode lays inputs out: the
  // object the prefix names by its file name, the others by their key after the prefix
  const found: Array<{ key: string; path: string }> = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(
        new ListObjectsV2Command({
          Bucket: input.bucket,
          Prefix: input.prefix,
          ContinuationToken: token
        })
      );
    } catch (error) {
      if ((error as Error).name === 'NoSuchBucket') {
        throw missing(input, job);
      }
      throw error;
    }
    for (const item of page.Contents ?? []) {
      const key = item.Key ?? '';
      const path = posix.normalize(
        key === input.prefix
          ? posix.basename(key)
          : key.slice(input.prefix.length).replace(/^\/+/, '')
      );
      if (
        key.endsWith('/') ||
        path === '.' ||
        path === '..' ||
        path.startsWith('../')
      ) {
        continue;
      }
      found.push({ key, path });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (found.length === 0) {
    throw missing(input, job);
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Downloads every input of the job into each node's `/opt/ml` (`optMl(node)`: the directory on the sandbox's
 * machine), each object fetched once.
 */
export async function downloadInputs(
  s3: S3Client,
  job: IJobLaunch,
  count: number,
  optMl: (node: number) => string,
  cancelled: () => boolean
): Promise<void> {
  const { GetObjectCommand } = s3Sdk();
  for (const input of jobInputs(job)) {
    const objects = await inputObjects(s3, input, job);
    const relative = posix.relative(OPT_ML, input.localPath);
    for (let node = 1; node <= count; node++) {
      mkdirSync(join(optMl(node), relative), { recursive: true });
    }
    for (const [index, object] of objects.entries()) {
      if (cancelled()) {
        return;
      }
      const nodes = Array.from({ length: count }, (_, at) => at + 1).filter(
        node => !input.sharded || index % count === node - 1
      );
      if (nodes.length === 0) {
        continue;
      }
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: input.bucket, Key: object.key })
      );
      const body =
        (await answer.Body?.transformToByteArray()) ?? new Uint8Array();
      for (const node of nodes) {
        const file = join(optMl(node), relative, object.path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, body);
      }
    }
  }
}

/** Writes the config files and creates the job's directories in a node's `/opt/ml` (`optMl` on the machine). */
export function writeNodeFiles(
  job: IJobLaunch,
  node: number,
  count: number,
  optMl: string
): void {
  for (const dir of jobDirectories(job)) {
    mkdirSync(join(optMl, posix.relative(OPT_ML, dir)), { recursive: true });
  }
  for (const [path, text] of Object.entries(configFiles(job, node, count))) {
    const file = join(optMl, posix.relative(OPT_ML, path));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${text}\n`);
  }
}
