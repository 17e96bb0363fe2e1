/**
 * Starting Session Manager port sessions through `ssm:StartSession` and opening their data channel, with
 * ResumeSession and TerminateSession wired in, and AWS's errors turned into one-line messages.
 */
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError, errorName } from '../aws/errors.js';
import { ssmSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import {
  DataChannelSession,
  type IDataChannelSessionOptions
} from './session.js';

/** The SSM documents of port sessions (reference §1). */
export const PortDocument = {
  Ssh: 'AWS-StartSSHSession',
  PortForwarding: 'AWS-StartPortForwardingSession',
  PortForwardingToRemoteHost: 'AWS-StartPortForwardingSessionToRemoteHost'
} as const;

export interface IPortSessionRequest {
  /** Managed instance (`mi-…`) or EC2 instance (`i-…`) id. */
  target: string;
  document: (typeof PortDocument)[keyof typeof PortDocument];
  /** Document parameters, e.g. `{ portNumber: '22' }`. */
  parameters?: Record<string, string>;
  /** Why, as AWS records it in the session history. */
  reason?: string;
}

const TARGET_PATTERN = /^(mi-[0-9a-f]{17}|i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$/;

/** Checks an instance id (`mi-…`, `i-…`); anything else is a UsageError naming the format. */
export function assertInstanceId(target: string): string {
  if (!TARGET_PATTERN.test(target)) {
    throw new UsageError(
      `"${target}" is not a managed instance id`,
      'pass an id such as mi-0123456789abcdef0 (sm-ssh list shows them)'
    );
  }
  return target;
}

/** StartSession + the data channel, ready for port data once it resolves. */
export async function startPortSession(
  clients: AwsClients,
  request: IPortSessionRequest,
  options: Pick<
    IDataChannelSessionOptions,
    'window' | 'maxPayloadBytes' | 'resumeTimeoutMs'
  > = {}
): Promise<DataChannelSession> {
  const ssm = clients.ssm();
  const { ResumeSessionCommand, StartSessionCommand, TerminateSessionCommand } =
    ssmSdk();
  const parameters = Object.fromEntries(
    Object.entries(request.parameters ?? {}).map(([key, value]) => [
      key,
      [value]
    ])
  );
  let started;
  try {
    started = await ssm.send(
      new StartSessionCommand({
        Target: request.target,
        DocumentName: request.document,
        Parameters: parameters,
        Reason: request.reason
      })
    );
  } catch (error) {
    if (errorName(error) === 'TargetNotConnected') {
      throw new OperationError(
        `${request.target} is not connected to SSM (its agent is offline or it no longer exists)`,
        'check with sm-ssh list; a finished job deregisters nothing, so its instance stays ConnectionLost'
      );
    }
    throw describeAwsError(error, `starting a session on ${request.target}`);
  }
  const sessionId = started.SessionId;
  if (!sessionId || !started.StreamUrl || !started.TokenValue) {
    throw new OperationError(
      'StartSession returned no session, stream URL or token'
    );
  }
  return DataChannelSession.open({
    ...options,
    sessionId,
    streamUrl: started.StreamUrl,
    tokenValue: started.TokenValue,
    region: clients.region,
    credentials: clients.credentials,
    resume: async () => {
      const resumed = await ssm.send(
        new ResumeSessionCommand({ SessionId: sessionId })
      );
      return {
        tokenValue: resumed.TokenValue ?? null,
        streamUrl: resumed.StreamUrl
      };
    },
    terminate: async () => {
      await ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    }
  });
}
