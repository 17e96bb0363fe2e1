/**
 * SSH to a space through remote access: a new StartSession per connection, the data channel, the server's banner,
 * then ssh2 with `none` authentication as `sagemaker-user` (Session Manager authenticated the caller: AWS's own
 * client logs in the same way) and HOME/USER set for every command and shell, since the server sets neither.
 *
 * The host key is not pinned and nothing is written to known_hosts: remote access gives the space's server a new
 * host key for every session, so a pin could only ever be "accept whatever comes" in disguise. What authenticates the
 * server is the channel itself: the StreamUrl and token come from sagemaker:StartSession, a SigV4-signed call to
 * SageMaker over TLS, and the WebSocket to ssmmessages is TLS to AWS as well. --verbose shows the key's fingerprint.
 */
import type { AwsClients } from '../aws/clients.js';
import { sshConnect } from '../ssh/client.js';
import type { IOpenSshOptions, ISshConnection } from '../ssh/connect.js';
import { hostKeyFingerprint, blobType } from '../ssh/known-hosts.js';
import { sessionDuplex } from '../ssm/session-duplex.js';
import { waitForBanner } from './banner.js';
import { startSpaceSession, type ISpaceSessionOptions } from './session.js';
import { SPACE_HOME, SPACE_USER, type IResolvedSpace } from './types.js';

export interface IOpenSpaceOptions
  extends
    Pick<IOpenSshOptions, 'user' | 'onProgress' | 'onWait'>,
    Pick<ISpaceSessionOptions, 'sleep'> {
  /** How long StartSession is retried while the app gets ready (default 2 min). */
  startTimeoutMs?: number;
  /** How long to wait for the server's SSH banner (default 30 s). */
  bannerTimeoutMs?: number;
}

/** The environment of a remote-access session for `user`. */
export function spaceEnvironment(user: string): Record<string, string> {
  return {
    HOME: user === SPACE_USER ? SPACE_HOME : `/home/${user}`,
    USER: user
  };
}

/** The line --verbose prints about the host key, and why it is not pinned. */
export function hostKeyNote(blob: Buffer): string {
  const type = blobType(blob);
  const fingerprint = hostKeyFingerprint({
    type,
    key: blob.toString('base64')
  });
  return `host key ${type} ${fingerprint} (not pinned: remote access gives the space a new host key per session; the trust anchor is the SigV4-authenticated channel from sagemaker:StartSession)`;
}

/** Opens an SSH connection to a resolved space over a fresh remote-access session. */
export async function openSpaceSsh(
  clients: AwsClients,
  resolved: IResolvedSpace,
  options: IOpenSpaceOptions = {}
): Promise<ISshConnection> {
  const user = options.user ?? SPACE_USER;
  options.onProgress?.(
    `${resolved.name} is space ${resolved.space.spaceArn} (remote access, app ${resolved.space.app?.appType ?? ''} ${resolved.space.app?.instanceType ?? ''})`.replace(
      / +\)/,
      ')'
    )
  );
  const session = await startSpaceSession(clients, resolved.space, {
    timeoutMs: options.startTimeoutMs,
    onProgress: options.onProgress,
    onWait: options.onWait,
    sleep: options.sleep
  });
  try {
    const sock = sessionDuplex(session);
    const banner = await waitForBanner(
      sock,
      resolved.name,
      options.bannerTimeoutMs
    );
    options.onProgress?.(`server ${banner}`);
    const client = await sshConnect({
      sock,
      username: user,
      noneAuth: true,
      verifyHostKey: async blob => {
        options.onProgress?.(hostKeyNote(blob));
        return true;
      }
    });
    client.once('close', () => void session.close());
    return {
      client,
      session,
      resolved,
      user,
      environment: spaceEnvironment(user),
      close: async () => {
        client.end();
        await session.close();
      }
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
