/**
 * Every target the caller can see: managed instances carrying the original project's tags (one
 * DescribeInstanceInformation filtered on the tag key, then their tags), grouped into resources (nodes of a job
 * share one), with SageMaker's status of each; InService endpoints, whose instances carry no tags and are
 * found in their logs; and Studio spaces, reached through SageMaker remote access (spaces/list.ts). Jobs launched
 * with SSH also get where they are in their wait (jobs/state.ts).
 */
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { sagemakerSdk, stsSdk } from '../aws/sdk.js';
import {
  formatTarget,
  parseTarget,
  type IResourceTarget,
  type TargetKind
} from '../names/index.js';
import {
  describeInstances,
  orderNodes,
  SshTag,
  type ITargetInstance
} from './instances.js';
import { instanceIdsFromLogs } from './logs.js';
import { jobKey, jobSshStates, type IListedJob } from '../jobs/state.js';
import type { IJobSshState } from '../jobs/types.js';
import { listSpaceTargets } from '../spaces/list.js';
import type { TargetVia } from '../spaces/types.js';
import { resourceStatus } from './status.js';

/** One line of `sm-ssh list` (the `--json` fields are a contract: add, don't rename). */
export interface ITargetSummary {
  /** The name to pass to connect. */
  target: string;
  kind: TargetKind;
  /** SageMaker's status word, or `unknown`. */
  status: string;
  /** The ping status of the newest node (`Online`, `ConnectionLost`, `Inactive`), or `NotFound`. */
  ping: string;
  nodes: number;
  /** SSHOwner of the newest node (empty for endpoints, which carry no tags). */
  owner: string;
  /** Whether the owner is the caller (endpoints: true, since IAM alone decides). */
  mine: boolean;
  /** Seconds since the newest node registered (SSHTimestamp), when known. */
  ageSeconds?: number;
  /** The managed instances, newest first. */
  instances: string[];
  resourceArn?: string;
  /** How `connect` reaches it: an SSM managed instance, or SageMaker remote access (Studio spaces). */
  via: TargetVia;
  /**
   * Spaces (`via: remote-access`; `status` is the space's, `ping` is `Online` when remote access can reach it now,
   * else `Offline`, `owner` the owning user profile, `instances` empty): remote access on or off.
   */
  remoteAccess?: 'ENABLED' | 'DISABLED';
  /** Spaces: `SpaceSettings.AppType` (`JupyterLab`, `CodeEditor`). */
  appType?: string;
  /** Spaces: the status of the space's app (`InService`, `Pending`, `Deleting`, …), or `None` when none runs. */
  appStatus?: string;
  /** Training and processing jobs launched with SSH (`sm-ssh job start`, `withSsh`): where the job is in its wait. */
  job?: IJobSshState;
}

export interface IListOptions {
  kind?: TargetKind;
  /** Only the caller's targets. */
  mine?: boolean;
  /** Look up InService endpoints in their logs (default true; a Logs Insights query each). */
  endpoints?: boolean;
  /** List Studio spaces (default true; ListSpaces and ListApps). */
  spaces?: boolean;
  /** What the listing had to leave out, and why (a permission the caller lacks). */
  onWarning?: (text: string) => void;
  now?: number;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order. */
async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker)
  );
  return results;
}

function targetOfArn(arn: string): IResourceTarget | undefined {
  try {
    const target = parseTarget(arn);
    return target.form === 'instance' ? undefined : target;
  } catch {
    return undefined;
  }
}

function summary(
  target: IResourceTarget,
  nodes: ITargetInstance[],
  status: string,
  caller: string,
  now: number
): ITargetSummary {
  const newest = nodes[0];
  const owner = newest?.owner ?? '';
  return {
    target: formatTarget({ ...target, form: 'name' }),
    kind: target.kind,
    status,
    ping: newest?.pingStatus ?? 'NotFound',
    nodes: nodes.length,
    owner,
    mine: owner === '' || owner === caller,
    ageSeconds:
      newest?.timestamp !== undefined
        ? Math.max(0, Math.round(now / 1000 - newest.timestamp))
        : undefined,
    instances: nodes.map(node => node.instanceId),
    resourceArn: target.arn,
    via: 'ssm-instance'
  };
}

async function endpointTargets(
  clients: AwsClients,
  known: Set<string>,
  caller: string,
  now: number
): Promise<ITargetSummary[]> {
  const { ListEndpointsCommand } = sagemakerSdk();
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sagemaker().send(
      new ListEndpointsCommand({
        StatusEquals: 'InService',
        NextToken: nextToken,
        MaxResults: 100
      })
    );
    names.push(
      ...(page.Endpoints ?? []).map(endpoint => endpoint.EndpointName ?? '')
    );
    nextToken = page.NextToken;
  } while (nextToken);
  const fresh = names.filter(
    name => name && !known.has(`${name}.inference.sagemaker`)
  );
  const found = await mapLimited(fresh, 4, async name => {
    const target: IResourceTarget = { form: 'name', kind: 'inference', name };
    const ids = await instanceIdsFromLogs(clients.logs(), target, { now });
    const nodes =
      ids.length > 0
        ? await describeInstances(clients.ssm(), [
            { Key: 'InstanceIds', Values: ids }
          ]).catch(() => [])
        : [];
    const ordered = ids.flatMap(id =>
      nodes.filter(node => node.instanceId === id)
    );
    return summary(target, ordered, 'InService', caller, now);
  });
  return found;
}

/** Whether an error is IAM's refusal (so the listing leaves a kind out with a warning instead of failing). */
function isAccessDenied(error: unknown): boolean {
  return /AccessDenied|NotAuthorized/i.test((error as Error).name ?? '');
}

const firstLine = (error: unknown) => (error as Error).message.split('\n')[0];

/** The managed-instance targets (and endpoints), as before spaces existed. */
async function instanceTargets(
  clients: AwsClients,
  options: IListOptions,
  callerOf: Promise<string>,
  now: number
): Promise<ITargetSummary[]> {
  const [caller, instances] = await Promise.all([
    callerOf,
    describeInstances(clients.ssm(), [
      { Key: 'tag-key', Values: [SshTag.ResourceArn] }
    ])
  ]);
  const groups = new Map<
    string,
    { target: IResourceTarget; nodes: ITargetInstance[] }
  >();
  for (const instance of instances) {
    const target = instance.resourceArn
      ? targetOfArn(instance.resourceArn)
      : undefined;
    if (!target) {
      continue;
    }
    const key = instance.resourceArn?.toLowerCase() ?? '';
    const group = groups.get(key) ?? { target, nodes: [] };
    group.nodes.push(instance);
    groups.set(key, group);
  }
  const wanted = [...groups.values()].filter(
    group => !options.kind || group.target.kind === options.kind
  );
  const jobs: Array<IListedJob & { summary: ITargetSummary }> = [];
  const summaries = await mapLimited(wanted, 8, async group => {
    const { target } = group;
    const nodes = orderNodes(group.nodes);
    const status = await resourceStatus(clients.sagemaker(), {
      ...target,
      form: 'name'
    });
    const entry = summary(
      target,
      nodes,
      status.status ?? (status.phase === 'missing' ? 'NotFound' : 'unknown'),
      caller,
      now
    );
    if (target.kind === 'training' || target.kind === 'processing') {
      jobs.push({
        kind: target.kind,
        name: target.name,
        resource: status,
        summary: entry
      });
    }
    return entry;
  });
  // the jobs' wait states (one Logs Insights query per log group for all of them), while endpoints are looked up
  const jobStates = jobSshStates(clients.logs(), jobs, {
    now,
    onWarning: options.onWarning
  }).then(states => {
    for (const job of jobs) {
      const state = states.get(jobKey(job));
      if (state) {
        job.summary.job = state;
      }
    }
  });
  jobStates.catch(() => undefined);
  if (
    (options.endpoints ?? true) &&
    (!options.kind || options.kind === 'inference')
  ) {
    try {
      summaries.push(
        ...(await endpointTargets(
          clients,
          new Set(summaries.map(s => s.target)),
          caller,
          now
        ))
      );
    } catch (error) {
      if (!isAccessDenied(error)) {
        throw error;
      }
      options.onWarning?.(
        `endpoints left out: ${firstLine(error)} (the guide's client policy has no sagemaker:ListEndpoints; connect by name still finds them)`
      );
    }
  }
  await jobStates;
  return summaries;
}

/** The targets, sorted by kind then name. */
export async function listTargets(
  clients: AwsClients,
  options: IListOptions = {}
): Promise<ITargetSummary[]> {
  const now = options.now ?? Date.now();
  const { GetCallerIdentityCommand } = stsSdk();
  // the caller's UserId (SSHOwner) and account (space ARNs), asked once and while the first lists are under way
  const identity = clients.sts().send(new GetCallerIdentityCommand({}));
  const caller = identity.then(answer => answer.UserId ?? '');
  const account = identity.then(answer => answer.Account);
  // a failed STS call is reported by whichever list awaits it; the other one must not leave it unhandled
  caller.catch(() => undefined);
  account.catch(() => undefined);
  const wantSpaces =
    (options.spaces ?? true) && (!options.kind || options.kind === 'space');
  const [summaries, spaces] = await Promise.all([
    options.kind === 'space'
      ? Promise.resolve([])
      : instanceTargets(clients, options, caller, now),
    wantSpaces
      ? listSpaceTargets(clients, { now, account }).catch((error: unknown) => {
          if (!isAccessDenied(error)) {
            throw describeAwsError(error, 'listing Studio spaces');
          }
          options.onWarning?.(
            `Studio spaces left out: ${firstLine(error)} (sagemaker:ListSpaces and sagemaker:ListApps are needed; sm-ssh setup apply --remote-access grants them)`
          );
          return [];
        })
      : Promise.resolve([])
  ]);
  return [...summaries, ...spaces]
    .filter(entry => !options.mine || entry.mine)
    .sort(
      (a, b) => a.kind.localeCompare(b.kind) || a.target.localeCompare(b.target)
    );
}
