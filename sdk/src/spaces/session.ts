/**
 * A remote-access session to a space: `sagemaker:StartSession` on the space ARN, retried with backoff while a
 * freshly started app is not ready (AWS answers InternalFailure then, and AWS's own client retries), then the data
 * channel opened at once with the StreamUrl exactly as returned (it may be presigned; every query parameter counts).
 * No ResumeSession (a new connection is a new StartSession) and no ssm:TerminateSession (the session is not SSM's
 * to end from our side): closing the data channel ends it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError, errorName } from '../aws/errors.js';
import { sagemakerSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import type { IResolveProgress } from '../resolve/resolve.js';
import { DataChannelSession } from '../ssm/session.js';
import { spaceTargetName } from './describe.js';
import type { ISpaceInfo } from './types.js';

/** How long StartSession is retried while the app gets ready, by default. */
export const DEFAULT_START_TIMEOUT_MS = 2 * 60 * 1000;

/** The errors a space whose app is still starting (or a busy service) answers; worth another try. */
const RETRYABLE = new Set([
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'Throttling'
]);

export interface ISpaceSessionOptions {
  /** How long to keep retrying StartSession (default 2 min). */
  timeoutMs?: number;
  /** Progress lines (each retry), for --verbose. */
  onProgress?: (text: string) => void;
  /** Called before each retry's wait, for a spinner (as resolution's waits are). */
  onWait?: (progress: IResolveProgress) => void;
  /** Delay function (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** How long the data channel's handshake may take (default 30 s). */
  handshakeTimeoutMs?: number;
}

/** The credentials of the space's StartSession, as AWS returned them. */
export interface ISpaceSessionGrant {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

/** One AWS error of StartSession as our error with its fix; undefined when it is worth retrying. */
export function startSessionProblem(
  error: unknown,
  space: Pick<ISpaceInfo, 'domainId' | 'spaceName' | 'spaceArn'>
): OperationError | UsageError | undefined {
  const name = errorName(error);
  if (RETRYABLE.has(name)) {
    return undefined;
  }
  const target = spaceTargetName(space.domainId, space.spaceName);
  const message = error instanceof Error ? error.message.split('\n')[0] : '';
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') {
    return new UsageError(
      `there is no space ${space.spaceName} in domain ${space.domainId} (${message || 'ResourceNotFound'})`,
      'check the name and the region (sm-ssh list --kind space shows the spaces you can reach)'
    );
  }
  if (/AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(name)) {
    return new OperationError(
      `access denied: sagemaker:StartSession on ${space.spaceArn} (${message})`,
      'an administrator can grant it with: sm-ssh setup apply --remote-access (sagemaker:StartSession on the space ARN)'
    );
  }
  if (/remote ?access/i.test(message)) {
    return new OperationError(
      `remote access is not enabled on ${target}: ${message}`,
      `enable it with: sm-ssh space enable-remote-access ${target} (this restarts the space's app: save your work first)`
    );
  }
  if (name === 'ResourceLimitExceeded') {
    return new OperationError(
      `SageMaker refused another session to ${target}: ${message}`,
      'close other sessions to the space (or wait for them to end), then connect again'
    );
  }
  return describeAwsError(
    error,
    `starting a remote-access session to ${target}`
  );
}

/** sagemaker:StartSession, retried with backoff (0.5 s doubling to 8 s) on the errors of an app not ready yet. */
export async function startSpaceGrant(
  clients: AwsClients,
  space: ISpaceInfo,
  options: ISpaceSessionOptions = {}
): Promise<ISpaceSessionGrant> {
  const { StartSessionCommand } = sagemakerSdk();
  const sagemaker = clients.sagemaker();
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const sleep = options.sleep ?? delay;
  const target = spaceTargetName(space.domainId, space.spaceName);
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await sagemaker.send(
        new StartSessionCommand({ ResourceIdentifier: space.spaceArn })
      );
      if (!answer.SessionId || !answer.StreamUrl || !answer.TokenValue) {
        throw new OperationError(
          `StartSession on ${space.spaceArn} returned no session, stream URL or token`
        );
      }
      return {
        sessionId: answer.SessionId,
        streamUrl: answer.StreamUrl,
        tokenValue: answer.TokenValue
      };
    } catch (error) {
      if (error instanceof OperationError || error instanceof UsageError) {
        throw error;
      }
      const problem = startSessionProblem(error, space);
      if (problem) {
        throw problem;
      }
      const waited = Date.now() - started;
      const backoff = Math.min(8_000, 500 * 2 ** (attempt - 1));
      if (waited + backoff > timeoutMs) {
        throw new OperationError(
          `${target} did not accept a remote-access session within ${Math.round(waited / 1000)} s (${errorName(error)} ${attempt} times)`,
          "the space's app may still be starting or failing: check it in Studio, or pass a longer --timeout"
        );
      }
      options.onProgress?.(
        `StartSession: ${errorName(error)} (the app may still be starting), retry ${attempt} in ${(backoff / 1000).toFixed(1)} s`
      );
      options.onWait?.({
        target,
        reason: `the remote-access server is not ready yet (${errorName(error)})`,
        attempt,
        waitedMs: waited,
        nextDelayMs: backoff
      });
      await sleep(backoff);
    }
  }
}

/** StartSession, then the data channel opened at once with the StreamUrl verbatim: ready for the SSH bytes. */
export async function startSpaceSession(
  clients: AwsClients,
  space: ISpaceInfo,
  options: ISpaceSessionOptions = {}
): Promise<DataChannelSession> {
  const grant = await startSpaceGrant(clients, space, options);
  options.onProgress?.(`remote-access session ${grant.sessionId}`);
  try {
    return await DataChannelSession.open({
      sessionId: grant.sessionId,
      // verbatim: a presigned URL's signature covers every query parameter, and it expires soon after issue
      streamUrl: grant.streamUrl,
      tokenValue: grant.tokenValue,
      region: clients.region,
      credentials: clients.credentials,
      handshakeTimeoutMs: options.handshakeTimeoutMs
    });
  } catch (error) {
    if (error instanceof OperationError) {
      throw new OperationError(
        `the remote-access session to ${spaceTargetName(space.domainId, space.spaceName)} failed: ${error.message}`,
        error.hint ?? 'rerun with --verbose to see how far it got'
      );
    }
    throw new OperationError(
      `the remote-access session to ${spaceTargetName(space.domainId, space.spaceName)} failed: ${error instanceof Error ? error.message : String(error)}`,
      'check the network path to ssmmessages (the StreamUrl host); rerun with --verbose'
    );
  }
}
