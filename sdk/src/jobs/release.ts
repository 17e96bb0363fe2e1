/**
 * Ending a job's wait for a connection (`sm-ssh job release <target>`): one Run Command to every node's instance
 * (or one node's), which runs the copy of the wrapper the job keeps in `/tmp/sm-ssh-job/` with `release`; each node
 * answers with one word, `released`, `already-released` or `not-waiting`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { waitForInvocation } from '../aws/invocation.js';
import { ssmSdk } from '../aws/sdk.js';
import { resolveTarget, type IResolveOptions } from '../resolve/resolve.js';
import { JOB_RELEASE_COMMAND } from './bundle.js';
import type { IReleaseReport, INodeRelease, ReleaseResult } from './types.js';

/** What each node runs: the wrapper's copy with `release`, or `not-waiting` where no wrapper ever ran. */
export const RELEASE_COMMANDS = [JOB_RELEASE_COMMAND];

export interface IReleaseOptions extends Pick<
  IResolveOptions,
  'anyOwner' | 'callerCache'
> {
  /** Only this node (1-based, as `--node`); default every node of the job. */
  node?: number;
  /** How long to wait for the nodes' answers (default 60 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const WORDS: readonly ReleaseResult[] = [
  'released',
  'already-released',
  'not-waiting'
];

/** A node's answer: its last word when that is one of the wrapper's, else `failed` with what it said. */
export function releaseResultOf(
  status: string,
  stdout: string,
  stderr: string
): { result: ReleaseResult; detail?: string } {
  const lines = stdout.trim().split('\n').filter(Boolean);
  const word = lines[lines.length - 1]?.trim() as ReleaseResult | undefined;
  if (status === 'Success' && word && WORDS.includes(word)) {
    const before = lines.slice(0, -1).join(' ').trim();
    return before ? { result: word, detail: before } : { result: word };
  }
  const said = (stderr.trim() || stdout.trim()).split('\n')[0];
  return {
    result: 'failed',
    detail:
      status === 'Success'
        ? `the node answered "${said}", not one of ${WORDS.join(', ')}`
        : `the command ended ${status}${said ? `: ${said}` : ''}`
  };
}

/** Polls one instance's invocation until it is done or the time is up. */
async function answerOf(
  clients: AwsClients,
  commandId: string,
  instanceId: string,
  deadline: number,
  sleep: (ms: number) => Promise<void>
): Promise<{ result: ReleaseResult; detail?: string }> {
  const outcome = await waitForInvocation(clients, commandId, instanceId, {
    doing: `reading the release on ${instanceId}`,
    sleep,
    expired: wait => Date.now() + wait > deadline
  });
  if (outcome.kind === 'refused') {
    return { result: 'failed', detail: outcome.error.message };
  }
  if (outcome.kind === 'expired') {
    return {
      result: 'failed',
      detail: `no answer in time (command ${commandId} is ${outcome.status || 'not visible yet'} on ${instanceId})`
    };
  }
  const { invocation, status } = outcome;
  return releaseResultOf(
    invocation.Status === 'Success' ? 'Success' : status,
    invocation.StandardOutputContent ?? '',
    invocation.StandardErrorContent ?? ''
  );
}

/**
 * Ends the wait of a job launched with SSH on every node (or one): the target must be Online (no waiting here: a
 * job that has not registered yet has nothing to release). A node that does not take it is `failed` with why.
 *
 * @throws UsageError for a bad name or node; OperationError when the job has ended, the target belongs to someone
 * else, or SendCommand itself is refused.
 */
export async function releaseJob(
  clients: AwsClients,
  target: string,
  options: IReleaseOptions = {}
): Promise<IReleaseReport> {
  const resolved = await resolveTarget(clients, target, {
    node: options.node,
    timeoutMs: 0,
    anyOwner: options.anyOwner,
    callerCache: options.callerCache
  });
  const nodes =
    options.node === undefined
      ? resolved.nodes.map((instance, index) => ({
          node: index + 1,
          instanceId: instance.instanceId
        }))
      : [{ node: resolved.node, instanceId: resolved.instance.instanceId }];
  const { SendCommandCommand } = ssmSdk();
  let commandId: string;
  try {
    const sent = await clients.ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: nodes.map(node => node.instanceId),
        Comment: `sm-ssh: end the wait of ${resolved.name}`,
        TimeoutSeconds: 30,
        Parameters: { commands: RELEASE_COMMANDS, executionTimeout: ['30'] }
      })
    );
    commandId = sent.Command?.CommandId ?? '';
  } catch (error) {
    throw describeAwsError(error, `releasing ${resolved.name}`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const sleep = options.sleep ?? delay;
  const answers: INodeRelease[] = await Promise.all(
    nodes.map(async node => ({
      ...node,
      ...(await answerOf(clients, commandId, node.instanceId, deadline, sleep))
    }))
  );
  return { target: resolved.name, nodes: answers };
}
