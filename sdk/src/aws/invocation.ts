/**
 * Waiting for one instance's Run Command invocation (`GetCommandInvocation`) to end, shared by key delivery and
 * `sm-ssh job release`: first poll after 400 ms (a command takes about that long on AWS), then doubling up to 2 s.
 */
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import type { SmSshError } from '../errors.js';
import type { AwsClients } from './clients.js';
import { describeAwsError, errorName } from './errors.js';
import { ssmSdk } from './sdk.js';

/** The statuses (`StatusDetails`, else `Status`) after which an invocation no longer changes. */
export const INVOCATION_DONE = new Set([
  'Success',
  'Failed',
  'Cancelled',
  'TimedOut',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied'
]);

const FIRST_POLL_MS = 400;
const MAX_POLL_MS = 2_000;

export interface IInvocationWait {
  /** What the caller is doing, for the error of a refused GetCommandInvocation. */
  doing: string;
  sleep: (ms: number) => Promise<void>;
  /** Asked after each poll that did not find the invocation done, with the wait just slept: true to give up. */
  expired: (waitedMs: number) => boolean;
}

/** How the wait ended; `status` is the last one seen (`''` when the invocation never became visible). */
export type InvocationOutcome =
  | {
      kind: 'done';
      invocation: GetCommandInvocationCommandOutput;
      status: string;
      polls: number;
    }
  | { kind: 'expired'; status: string; polls: number }
  | { kind: 'refused'; error: SmSshError; polls: number };

/** Polls the invocation of `commandId` on `instanceId` until it is done, `expired` says stop, or a poll is refused. */
export async function waitForInvocation(
  clients: AwsClients,
  commandId: string,
  instanceId: string,
  options: IInvocationWait
): Promise<InvocationOutcome> {
  const { GetCommandInvocationCommand } = ssmSdk();
  let status = '';
  for (let polls = 1, wait = FIRST_POLL_MS; ; polls++) {
    await options.sleep(wait);
    try {
      const invocation = await clients.ssm().send(
        new GetCommandInvocationCommand({
          CommandId: commandId,
          InstanceId: instanceId
        })
      );
      status = invocation.StatusDetails ?? invocation.Status ?? '';
      if (INVOCATION_DONE.has(status)) {
        return { kind: 'done', invocation, status, polls };
      }
    } catch (error) {
      // right after SendCommand the invocation may not exist yet
      if (errorName(error) !== 'InvocationDoesNotExist') {
        return {
          kind: 'refused',
          error: describeAwsError(error, options.doing),
          polls
        };
      }
    }
    if (options.expired(wait)) {
      return { kind: 'expired', status, polls };
    }
    wait = Math.min(MAX_POLL_MS, wait * 2);
  }
}
