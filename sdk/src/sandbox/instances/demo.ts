/**
 * The demo fleet: one managed instance per kind of SageMaker target, tagged as the original project's
 * `sm-init-ssm` tags its activations (SSHOwner, SSHCreator, SSHTimestamp, SSHResourceName, SSHResourceArn), an
 * untagged endpoint instance (endpoints register without tags), a two-node training job, and one instance owned
 * by another user. Every demo instance's sshd accepts the demo key for root from the start.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
}

export interface IDemoFleet {
  instances: IDemoInstance[];
  /** Private key (ed25519, mode 0600) that every demo instance accepts for root. */
  identityFile: string;
  publicKey: string;
}

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
      arnResource: `app/${domainId}/${userProfile}/KernelGateway/${kernelGateway}`
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
      const tags: [string, string][] = spec.arnResource
        ? [
            ['SSHOwner', specOwner ?? owner],
            ['SSHCreator', creator],
            ['SSHTimestamp', String(now - spec.node)],
            ['SSHResourceName', spec.name],
            [
              'SSHResourceArn',
              `arn:aws:sagemaker:${region}:${account}:${spec.arnResource}`
            ]
          ]
        : [];
      const instance = await registry.launch({
        account,
        region,
        name: spec.name,
        tags,
        iamRole: 'service-role/AmazonSageMaker-ExecutionRole-demo',
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
        sshPort: instance.host?.sshPort
      };
      return demo;
    })
  );
  return { instances: launched, identityFile, publicKey };
}
