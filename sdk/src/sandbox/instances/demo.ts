/**
 * The demo fleet: one managed instance per kind of SageMaker target, tagged as the original project's
 * `sm-init-ssm` tags its activations (SSHOwner, SSHCreator, SSHTimestamp, SSHResourceName, SSHResourceArn), an
 * untagged endpoint instance (endpoints register without tags), a two-node training job, and one instance owned
 * by another user. Every demo instance's sshd accepts the demo key for root from the start. Given the sandbox's
 * endpoint (`cloud`), the SageMaker resources behind the instances exist too, with the ARNs the tags name, and
 * each container's registration line is in its CloudWatch log stream.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createDemoResources,
  DEMO_ROLE,
  registrationLine,
  writeDemoLogs,
  type IDemoCloud,
  type IDemoLog,
  type IDemoResources,
  type IDemoSpace
} from '../sagemaker/demo-resources.js';
import type { InstanceRegistry } from './registry.js';

const run = promisify(execFile);

export type DemoKind =
  'training' | 'processing' | 'transform' | 'inference' | 'notebook' | 'studio';

export interface IDemoInstance {
  instanceId: string;
  /** The name in the target grammar's first label (`<name>.<kind>.sagemaker`). */
  name: string;
  kind: DemoKind;
  /** SSHOwner tag; undefined for the untagged endpoint instance. */
  owner?: string;
  /** Node index among instances of the same job (0-based; 0 has the newest SSHTimestamp). */
  node: number;
  /** The instance's sshd port on 127.0.0.1. */
  sshPort?: number;
  /** The SageMaker resource the instance runs in (its SSHResourceArn tag, when tagged). */
  resourceArn?: string;
}

export interface IDemoFleet {
  instances: IDemoInstance[];
  /** Private key (ed25519, mode 0600) that every demo instance accepts for root. */
  identityFile: string;
  publicKey: string;
  /** The SageMaker resources behind the instances, when the fleet was given a cloud. */
  resources?: IDemoResources;
  /**
   * The Studio spaces reached through remote access (no managed instance), when the fleet was given a cloud:
   * `ssh-space-demo` (RemoteAccess ENABLED) and `ssh-space-off-demo` (DISABLED), owned by the user profile.
   */
  spaces: IDemoSpace[];
}

/** The demo's spaces: one with remote access on, one with it off. */
export const DEMO_SPACES = {
  on: 'ssh-space-demo',
  off: 'ssh-space-off-demo'
} as const;

export interface IDemoFleetOptions {
  account?: string;
  region?: string;
  /** The demo user's `aws:userid` (SSHOwner of most instances). */
  owner?: string;
  /** Owner of the one instance that belongs to someone else. */
  otherOwner?: string;
  /** The containers' own user id (SSHCreator). */
  creator?: string;
  /** Studio domain and user profile of the kernel gateway app. */
  domainId?: string;
  userProfile?: string;
  /** Start hosts (sshd) for the instances; default true. */
  hosts?: boolean;
  /** The sandbox's endpoint and SageMaker front: create the SageMaker resources and log lines too. */
  cloud?: IDemoCloud;
}

interface ISpec {
  name: string;
  kind: DemoKind;
  node: number;
  /** ARN resource part after `:`, e.g. `training-job/<name>`; undefined: no tags (endpoint). */
  arnResource?: string;
  owner?: string;
}

/** Creates the demo key pair and the demo fleet in `registry`. */
export async function createDemoFleet(
  registry: InstanceRegistry,
  options: IDemoFleetOptions = {}
): Promise<IDemoFleet> {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const owner = options.owner ?? 'AROAEXAMPLEOWNER:alice';
  const otherOwner = options.otherOwner ?? 'AROAEXAMPLEOTHER:bob';
  const creator = options.creator ?? 'AROAEXAMPLESAGEMAKER:SageMaker';
  const domainId = options.domainId ?? 'd-demo00000000';
  const userProfile = options.userProfile ?? 'alice';
  const keyDir = join(registry.root, 'demo-key');
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const identityFile = join(keyDir, 'id_ed25519');
  await run('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'sm-ssh-demo',
    '-f',
    identityFile
  ]);
  chmodSync(identityFile, 0o600);
  const publicKey = readFileSync(`${identityFile}.pub`, 'utf8').trim();

  const kernelGateway = 'datascience-1-0-ml-t3-medium-demo';
  const resources = options.cloud
    ? await createDemoResources(options.cloud, {
        account,
        region,
        training: 'ssh-training-demo',
        processing: 'ssh-processing-demo',
        transform: 'ssh-transform-demo',
        notebook: 'ssh-notebook-demo',
        endpoint: 'ssh-endpoint-demo',
        otherTraining: 'bob-training-job',
        domainName: 'ssh-demo',
        userProfile,
        kernelGateway,
        spaces: [
          { name: DEMO_SPACES.on, remoteAccess: 'ENABLED' },
          { name: DEMO_SPACES.off, remoteAccess: 'DISABLED' }
        ]
      })
    : undefined;
  const domain = resources?.domainId ?? domainId;
  const specs: ISpec[] = [
    {
      name: 'ssh-training-demo',
      kind: 'training',
      node: 0,
      arnResource: 'training-job/ssh-training-demo'
    },
    {
      name: 'ssh-training-demo',
      kind: 'training',
      node: 1,
      arnResource: 'training-job/ssh-training-demo'
    },
    {
      name: 'ssh-processing-demo',
      kind: 'processing',
      node: 0,
      arnResource: 'processing-job/ssh-processing-demo'
    },
    {
      name: 'ssh-transform-demo',
      kind: 'transform',
      node: 0,
      arnResource: 'transform-job/ssh-transform-demo'
    },
    {
      name: 'ssh-notebook-demo',
      kind: 'notebook',
      node: 0,
      arnResource: 'notebook-instance/ssh-notebook-demo'
    },
    {
      name: kernelGateway,
      kind: 'studio',
      node: 0,
      arnResource: `app/${domain}/${userProfile}/KernelGateway/${kernelGateway}`
    },
    { name: 'ssh-endpoint-demo', kind: 'inference', node: 0 },
    {
      name: 'bob-training-job',
      kind: 'training',
      node: 0,
      arnResource: 'training-job/bob-training-job',
      owner: otherOwner
    }
  ];
  const now = Math.floor(Date.now() / 1000);
  const launched = await Promise.all(
    specs.map(async spec => {
      const specOwner = spec.arnResource ? (spec.owner ?? owner) : undefined;
      const resourceArn =
        resources?.arns[spec.name] ??
        (spec.arnResource &&
          `arn:aws:sagemaker:${region}:${account}:${spec.arnResource}`);
      const tags: [string, string][] = spec.arnResource
        ? [
            ['SSHOwner', specOwner ?? owner],
            ['SSHCreator', creator],
            ['SSHTimestamp', String(now - spec.node)],
            ['SSHResourceName', spec.name],
            ['SSHResourceArn', resourceArn as string]
          ]
        : [];
      const instance = await registry.launch({
        account,
        region,
        name: spec.name,
        tags,
        iamRole: DEMO_ROLE,
        computerName: `${spec.kind}-${spec.name}-${spec.node}`.slice(0, 63),
        authorizedKeys: [publicKey],
        host: options.hosts
      });
      const demo: IDemoInstance = {
        instanceId: instance.instanceId,
        name: spec.name,
        kind: spec.kind,
        owner: specOwner,
        node: spec.node,
        sshPort: instance.host?.sshPort,
        resourceArn
      };
      return demo;
    })
  );
  if (options.cloud) {
    await writeDemoLogs(
      options.cloud,
      region,
      launched.map(instance => demoLog(instance, domain, userProfile))
    );
  }
  return {
    instances: launched,
    identityFile,
    publicKey,
    resources,
    spaces: resources?.spaces ?? []
  };
}

/** Where SageMaker puts the container's output, and what the original project's setup prints there. */
function demoLog(
  instance: IDemoInstance,
  domainId: string,
  userProfile: string
): IDemoLog {
  const ec2 = `i-0${randomBytes(8).toString('hex')}`;
  const started = Math.floor(Date.now() / 1000);
  const place: Record<DemoKind, [string, string]> = {
    training: [
      '/aws/sagemaker/TrainingJobs',
      `${instance.name}/algo-${instance.node + 1}-${started}`
    ],
    processing: [
      '/aws/sagemaker/ProcessingJobs',
      `${instance.name}/algo-1-${started}`
    ],
    transform: ['/aws/sagemaker/TransformJobs', `${instance.name}/${ec2}`],
    inference: [
      `/aws/sagemaker/Endpoints/${instance.name}`,
      `AllTraffic/${ec2}`
    ],
    notebook: [
      '/aws/sagemaker/NotebookInstances',
      `${instance.name}/LifecycleConfigOnStart`
    ],
    studio: [
      '/aws/sagemaker/studio',
      `${domainId}/${userProfile}/KernelGateway/${instance.name}`
    ]
  };
  const [group, stream] = place[instance.kind];
  return {
    group,
    stream,
    lines: [
      'Installing SSM agent and SSH server (sagemaker-ssh-helper)',
      'Creating SSM activation with registration limit 1',
      registrationLine(instance.instanceId),
      'SSH server listening, waiting for connections'
    ]
  };
}
