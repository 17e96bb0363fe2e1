/**
 * Name → managed instance: parse the target, find its instances by tag (server-side filter), keep those the
 * original project's rules match (ARN fragment of the kind, `--not-before`, newest `SSHTimestamp` first), choose
 * the node, refuse another user's instance before any session, and wait with exponential backoff until the
 * instance is Online — telling "the job has ended" and "no such job" apart from "not registered yet".
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients.js';
import { stsSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import {
  arnFragment,
  formatTarget,
  KIND_RESOURCE,
  parseTarget,
  type IResourceTarget,
  type Target
} from '../names/index.js';
import {
  orderNodes,
  describeInstances,
  instancesNamed,
  type ITargetInstance
} from './instances.js';
import { instanceIdsFromLogs } from './logs.js';
import { resourceStatus, type IResourceStatus } from './status.js';

/** How long to wait for a target to come Online by default: 15 minutes, as the original project does. */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 15 * 60 * 1000;

export interface IResolveOptions {
  /** 1-based node of a multi-node job: newest SSHTimestamp first, one run's nodes by host name (`orderNodes`). Default 1. */
  node?: number;
  /** Ignore instances registered before this time (an earlier run of a job of the same name). */
  notBefore?: Date;
  /** How long to wait for the instance to register and come Online; 0 does not wait. */
  timeoutMs?: number;
  /** Allow an instance whose SSHOwner is another user (IAM still decides). */
  anyOwner?: boolean;
  /** Called before each wait, for a spinner. */
  onWait?: (progress: IResolveProgress) => void;
  /** Delay function (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Remembers the caller's UserId per access key id, so a reconnect skips GetCallerIdentity. */
  callerCache?: ICallerCache;
}

/** UserIds by access key id: an access key belongs to one principal (and one session, for temporary keys). */
export interface ICallerCache {
  get(accessKeyId: string): string | undefined;
  set(accessKeyId: string, userId: string): void;
}

export interface IResolveProgress {
  target: string;
  reason: string;
  attempt: number;
  waitedMs: number;
  nextDelayMs: number;
}

export interface IResolvedTarget {
  /** Reached through an SSM managed instance (a space through remote access is an IResolvedSpace). */
  via: 'ssm-instance';
  /** The target as parsed. */
  target: Target;
  /** Its canonical name. */
  name: string;
  /** The chosen instance. */
  instance: ITargetInstance;
  /** Every node of the resource, newest first (the chosen one included). */
  nodes: ITargetInstance[];
  /** 1-based index of the chosen node in `nodes`. */
  node: number;
  /** The caller's `aws:userid` (STS GetCallerIdentity UserId). */
  callerUserId: string;
  /** The SageMaker resource's status, when it was read. */
  resource?: IResourceStatus;
}

/** The instances of a target, matched and ordered as the original project does. */
export function matchInstances(
  target: IResourceTarget,
  instances: readonly ITargetInstance[],
  notBefore?: Date
): ITargetInstance[] {
  const fragment = arnFragment(target);
  const name = target.name.toLowerCase();
  const since = notBefore ? notBefore.getTime() / 1000 : undefined;
  return orderNodes(
    instances.filter(instance => {
      const arn = instance.resourceArn?.toLowerCase();
      if (!arn) {
        return false;
      }
      const sameResource =
        target.form === 'arn'
          ? arn === target.arn?.toLowerCase()
          : arn.includes(fragment) && arn.endsWith(`/${name}`);
      return (
        sameResource &&
        (since === undefined || (instance.timestamp ?? 0) >= since)
      );
    })
  );
}

async function callerUserId(
  clients: AwsClients,
  cache?: ICallerCache
): Promise<string> {
  const accessKeyId = cache
    ? (await clients.credentials()).accessKeyId
    : undefined;
  const cached = accessKeyId ? cache?.get(accessKeyId) : undefined;
  if (cached) {
    return cached;
  }
  const { GetCallerIdentityCommand } = stsSdk();
  const identity = await clients.sts().send(new GetCallerIdentityCommand({}));
  const userId = identity.UserId ?? '';
  if (accessKeyId && userId) {
    cache?.set(accessKeyId, userId);
  }
  return userId;
}

function checkOwner(
  name: string,
  instance: ITargetInstance,
  caller: string,
  anyOwner: boolean
): void {
  if (!instance.owner || instance.owner === caller || anyOwner) {
    return;
  }
  throw new OperationError(
    `${name} (${instance.instanceId}) belongs to ${instance.owner}, not to you (${caller})`,
    "the setup guide's client policy allows sessions only to instances whose SSHOwner tag is your ${aws:userid}; " +
      'an admin whose policy allows more can pass --any-owner'
  );
}

/** The instances with these ids, in the order given; ids SSM no longer knows are left out. */
async function instancesById(
  ssm: ReturnType<AwsClients['ssm']>,
  ids: string[]
): Promise<ITargetInstance[]> {
  if (ids.length === 0) {
    return [];
  }
  const found = await describeInstances(ssm, [
    { Key: 'InstanceIds', Values: ids }
  ]).catch(async (error: { name?: string }) => {
    // AWS answers an id it does not know with InvalidInstanceId rather than leaving it out: ask one by one
    if (error.name !== 'InvalidInstanceId') {
      throw error;
    }
    if (ids.length === 1) {
      return [];
    }
    const each = await Promise.all(ids.map(id => instancesById(ssm, [id])));
    return each.flat();
  });
  return ids.flatMap(id => found.filter(i => i.instanceId === id));
}

/** One look at a target: what it resolved to, or why to look again. */
export interface IAttempt<T> {
  done?: T;
  /** Why we wait, when we do. */
  waitReason?: string;
}

/**
 * Runs `attempt` until it is done, waiting with exponential backoff (1 s doubling to 30 s) in between and calling
 * `onWait` before each wait; after `timeoutMs` (default 15 min) the last wait reason is the error.
 */
export async function waitWithBackoff<T>(
  name: string,
  options: Pick<IResolveOptions, 'timeoutMs' | 'sleep' | 'onWait'>,
  timeoutHint: string,
  attempt: () => Promise<IAttempt<T>>
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS;
  const sleep = options.sleep ?? delay;
  const started = Date.now();
  for (let tries = 0; ; tries++) {
    const result = await attempt();
    if (result.done) {
      return result.done;
    }
    const waited = Date.now() - started;
    const backoff = Math.min(30_000, 1000 * 2 ** tries);
    if (waited + backoff > timeoutMs) {
      throw new OperationError(
        `${name} is not reachable after ${Math.round(waited / 1000)} s: ${result.waitReason}`,
        timeoutMs === 0 ? 'pass --timeout to wait for it' : timeoutHint
      );
    }
    options.onWait?.({
      target: name,
      reason: result.waitReason ?? '',
      attempt: tries + 1,
      waitedMs: waited,
      nextDelayMs: backoff
    });
    await sleep(backoff);
  }
}

async function attempt(
  clients: AwsClients,
  target: Target,
  name: string,
  callerLookup: Promise<string>,
  options: IResolveOptions
): Promise<IAttempt<IResolvedTarget>> {
  const ssm = clients.ssm();
  const node = options.node ?? 1;
  let nodes: ITargetInstance[];
  let resource: IResourceStatus | undefined;
  if (target.form === 'instance') {
    nodes = await instancesById(ssm, [target.instanceId]);
    if (nodes.length === 0) {
      throw new UsageError(
        `no managed instance ${target.instanceId} in ${clients.region}`,
        'check the id and the region (sm-ssh list shows the targets you can reach)'
      );
    }
  } else {
    const what = `${KIND_RESOURCE[target.kind]} ${target.name}`;
    nodes = matchInstances(
      target,
      await instancesNamed(ssm, target.name),
      options.notBefore
    );
    if (nodes.length === 0) {
      resource = await resourceStatus(clients.sagemaker(), target);
      if (resource.phase === 'missing') {
        throw new UsageError(
          `there is no ${what} in ${clients.region}`,
          'check the name and the region (sm-ssh list shows the targets you can reach)'
        );
      }
      if (resource.phase === 'ended') {
        throw new OperationError(
          `the ${what} is ${resource.status}: its SSH target is gone`,
          'start it again with SSH (sm-ssh list shows what is running)'
        );
      }
      // untagged instances (endpoints always, jobs whose tags are missing): the registration line in the logs
      nodes = await instancesById(
        ssm,
        await instanceIdsFromLogs(clients.logs(), target)
      );
    }
    if (nodes.length === 0) {
      return {
        waitReason: `the ${what} is ${resource?.status ?? (resource?.denied ? 'of a status SageMaker does not tell you (access denied)' : 'not known to SageMaker here')}; its instance has not registered with SSM yet`
      };
    }
  }
  if (node > nodes.length) {
    throw new UsageError(
      `${name} has ${nodes.length} node${nodes.length === 1 ? '' : 's'}, so there is no node ${node}`,
      `pass --node 1${nodes.length > 1 ? `..${nodes.length}` : ''}`
    );
  }
  const instance = nodes[node - 1];
  const caller = await callerLookup;
  checkOwner(name, instance, caller, options.anyOwner ?? false);
  if (instance.pingStatus !== 'Online') {
    return {
      waitReason: `${instance.instanceId} is ${instance.pingStatus}, waiting for it to come Online`
    };
  }
  return {
    done: {
      via: 'ssm-instance',
      target,
      name,
      instance,
      nodes,
      node,
      callerUserId: caller,
      resource
    }
  };
}

/**
 * Resolves a target (name, `mi-…` or ARN) to an Online managed instance, waiting up to `timeoutMs` (default 15 min)
 * with exponential backoff (1 s doubling to 30 s) while the resource is coming up.
 *
 * @throws UsageError for a malformed or unknown name, a node out of range; OperationError for another user's
 * instance, an ended resource, or the timeout.
 */
export async function resolveTarget(
  clients: AwsClients,
  text: string,
  options: IResolveOptions = {}
): Promise<IResolvedTarget> {
  const target = parseTarget(text);
  const name = formatTarget(target);
  if (
    options.node !== undefined &&
    (!Number.isInteger(options.node) || options.node < 1)
  ) {
    throw new UsageError(
      `--node ${options.node} is not a node number`,
      'nodes are numbered from 1'
    );
  }
  // the caller's id is needed only once an instance is found: look it up while SSM is asked
  const caller = callerUserId(clients, options.callerCache);
  caller.catch(() => undefined);
  return waitWithBackoff(
    name,
    options,
    'check the job or app log; pass a longer --timeout to wait more',
    () => attempt(clients, target, name, caller, options)
  );
}
