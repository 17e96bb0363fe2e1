/**
 * Name → SSH: resolve the target, make sure this user's key is on the instance and its host keys are pinned
 * (one Run Command, skipped when this machine already delivered the same key there), start the SSH session in
 * parallel, and verify the host key against the pins during the handshake. A Studio space (and a Studio app of a
 * space with remote access on and no managed instance) goes through SageMaker remote access instead
 * (`spaces/connect.ts`).
 */
import type { Client } from 'ssh2';
import type { AwsClients } from '../aws/clients.js';
import { OperationError } from '../errors.js';
import { parseTarget, type TargetKind } from '../names/index.js';
import {
  resolveTarget,
  type IResolvedTarget,
  type IResolveOptions
} from '../resolve/index.js';
import { openSpaceSsh } from '../spaces/connect.js';
import { resolveConnectTarget } from '../spaces/resolve.js';
import type { IResolvedSpace } from '../spaces/types.js';
import type { DataChannelSession } from '../ssm/index.js';
import { PortDocument, sessionDuplex, startPortSession } from '../ssm/index.js';
import { sshConnect, SshAuthError } from './client.js';
import type { SessionEnvironment } from './exec.js';
import { callerCache, Deliveries } from './deliveries.js';
import { deliverKey, type IDeliveryResult } from './delivery.js';
import { ensureIdentity, loadIdentity, type IIdentity } from './keys.js';
import {
  blobType,
  hostKeyFingerprint,
  KnownHosts,
  type IHostPublicKey
} from './known-hosts.js';
import { statePaths, type IStatePaths } from './paths.js';

export interface IPrepareOptions extends IResolveOptions {
  /** An existing private key instead of the one sm-ssh keeps. */
  identityFile?: string;
  /** Where keys and pins live (default: the config folder). */
  paths?: IStatePaths;
  /** Deliver the key even if this machine did before. */
  redeliver?: boolean;
  /** Progress lines, for --verbose. */
  onProgress?: (text: string) => void;
  /** A resolution done already (skips resolveTarget's AWS calls). */
  resolvedAs?: IResolvedTarget;
}

/** A resolved target with the key delivery under way (or skipped) and its pins at hand. */
export interface IPreparedTarget {
  resolved: IResolvedTarget;
  identity: IIdentity;
  knownHosts: KnownHosts;
  /** Resolves once the key is on the instance and its host keys pinned. */
  ready: Promise<void>;
  /** Whether this preparation delivered the key (false: a record of an earlier delivery was trusted). */
  delivered: boolean;
}

/** The user the container is logged into by default: root, as the original project does. */
export function defaultUser(kind: TargetKind | undefined): string {
  return kind === 'space' ? 'sagemaker-user' : 'root';
}

export class HostKeyChangedError extends OperationError {}

function changedKey(
  name: string,
  instanceId: string,
  presented: string,
  pinned: IHostPublicKey[]
): HostKeyChangedError {
  return new HostKeyChangedError(
    `the host key of ${name} (${instanceId}) has changed: it presents ${presented}, pinned ${pinned.map(hostKeyFingerprint).join(', ')}`,
    `if the container was rebuilt on purpose, re-pin with: sm-ssh forget ${name}; otherwise do not connect`
  );
}

function sameKeys(a: IHostPublicKey[], b: IHostPublicKey[]): boolean {
  const keys = (list: IHostPublicKey[]) =>
    list
      .map(key => key.key)
      .sort()
      .join(' ');
  return keys(a) === keys(b);
}

/** Pins what the delivery reported, or refuses when it contradicts earlier pins of the same instance. */
function pinReported(
  prepared: Pick<IPreparedTarget, 'knownHosts' | 'resolved'>,
  delivery: IDeliveryResult
): void {
  const { knownHosts, resolved } = prepared;
  const instanceId = resolved.instance.instanceId;
  if (delivery.hostKeys.length === 0) {
    throw new OperationError(
      `${resolved.name} (${instanceId}) reported no host keys in /etc/ssh/ssh_host_*_key.pub, so its identity cannot be checked`,
      'the container must keep its sshd host keys in /etc/ssh (sm-ssh remote init does)'
    );
  }
  const pins = knownHosts.pinsOf(instanceId);
  if (pins.length > 0 && !sameKeys(pins, delivery.hostKeys)) {
    throw changedKey(
      resolved.name,
      instanceId,
      delivery.hostKeys.map(hostKeyFingerprint).join(', '),
      pins
    );
  }
  if (pins.length === 0) {
    knownHosts.pin(instanceId, resolved.name, delivery.hostKeys);
    knownHosts.save();
  }
}

/** Resolves the target and starts what it takes to log in to it (see IPreparedTarget). */
export async function prepareTarget(
  clients: AwsClients,
  text: string,
  options: IPrepareOptions = {}
): Promise<IPreparedTarget> {
  const paths = options.paths ?? statePaths();
  // the identity first: a bad --identity is a usage error before any AWS call
  const identity = options.identityFile
    ? loadIdentity(options.identityFile)
    : ensureIdentity(paths);
  const resolved =
    options.resolvedAs ??
    (await resolveTarget(clients, text, {
      callerCache: callerCache(paths.callers),
      ...options
    }));
  return prepareResolved(clients, resolved, identity, paths, options);
}

/** {@link prepareTarget} for a target already resolved. */
export function prepareResolved(
  clients: AwsClients,
  resolved: IResolvedTarget,
  identity: IIdentity,
  paths: IStatePaths,
  options: Pick<IPrepareOptions, 'redeliver' | 'onProgress'> = {}
): IPreparedTarget {
  const instanceId = resolved.instance.instanceId;
  const knownHosts = KnownHosts.load(paths.knownHosts);
  const deliveries = Deliveries.load(paths.deliveries);
  const skip =
    !options.redeliver &&
    knownHosts.pinsOf(instanceId).length > 0 &&
    deliveries.has(instanceId, identity.fingerprint);
  const prepared: IPreparedTarget = {
    resolved,
    identity,
    knownHosts,
    delivered: !skip,
    ready: Promise.resolve()
  };
  options.onProgress?.(
    `${resolved.name} is ${instanceId} (node ${resolved.node} of ${resolved.nodes.length})`
  );
  if (!skip) {
    options.onProgress?.(`delivering key ${identity.fingerprint}`);
    prepared.ready = deliverKey(clients, {
      instanceId,
      publicKey: identity.publicKey,
      ownerId: resolved.callerUserId
    }).then(delivery => {
      pinReported(prepared, delivery);
      deliveries.record(instanceId, identity.fingerprint);
      options.onProgress?.(
        `key delivered (${delivery.polls} poll${delivery.polls === 1 ? '' : 's'}), host keys pinned`
      );
    });
    // the caller awaits it later; until then a rejection is not unhandled
    prepared.ready.catch(() => undefined);
  }
  return prepared;
}

export interface IOpenSshOptions extends IPrepareOptions {
  /** Login user (default: {@link defaultUser} of the kind). */
  user?: string;
  /** Remote port of sshd (default 22). */
  port?: number;
}

/** An SSH connection to a target, over its own Session Manager session. */
export interface ISshConnection {
  client: Client;
  /** `via` tells an SSM managed instance (`ssm-instance`) from a space reached through remote access. */
  resolved: IResolvedTarget | IResolvedSpace;
  session: DataChannelSession;
  user: string;
  /**
   * Variables to set for each command and shell (runCommand/runShell's `env`): remote access sets no HOME or USER.
   * Absent for SSM targets, whose sshd sets them.
   */
  environment?: SessionEnvironment;
  close(): Promise<void>;
}

async function handshake(
  clients: AwsClients,
  prepared: IPreparedTarget,
  user: string,
  port: number
): Promise<{ client: Client; session: DataChannelSession }> {
  const instanceId = prepared.resolved.instance.instanceId;
  const session = await startPortSession(clients, {
    target: instanceId,
    document: PortDocument.Ssh,
    parameters: { portNumber: String(port) },
    reason: `sm-ssh connect ${prepared.resolved.name}`
  });
  try {
    const client = await sshConnect({
      sock: sessionDuplex(session),
      username: user,
      privateKey: prepared.identity.privateKey,
      verifyHostKey: async blob => {
        await prepared.ready;
        const check = prepared.knownHosts.check(instanceId, blob);
        if (check !== 'match') {
          throw changedKey(
            prepared.resolved.name,
            instanceId,
            `${blobType(blob)} ${hostKeyFingerprint({ type: blobType(blob), key: blob.toString('base64') })}`,
            prepared.knownHosts.pinsOf(instanceId)
          );
        }
        return true;
      }
    });
    client.once('close', () => void session.close());
    return { client, session };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * `count` more SSH connections to the instance `first` reached, each on its own Session Manager session, without
 * resolving or delivering again; if one fails, those that opened are closed.
 */
export async function openMoreSsh(
  clients: AwsClients,
  first: ISshConnection,
  count: number,
  options: IOpenSshOptions = {}
): Promise<ISshConnection[]> {
  const { resolved } = first;
  const results = await Promise.allSettled(
    Array.from({ length: count }, () =>
      resolved.via === 'remote-access'
        ? openSpaceSsh(clients, resolved, { ...options, user: first.user })
        : openSsh(clients, resolved.instance.instanceId, {
            ...options,
            user: first.user,
            resolvedAs: resolved
          })
    )
  );
  const opened = results.flatMap(result =>
    result.status === 'fulfilled' ? [result.value] : []
  );
  const failed = results.find(result => result.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map(connection => connection.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return opened;
}

/**
 * `count` SSH connections to one target (for copies split in ranges): one resolution and at most one key delivery
 * for all of them.
 */
export async function openSshConnections(
  clients: AwsClients,
  text: string,
  count: number,
  options: IOpenSshOptions = {}
): Promise<ISshConnection[]> {
  const first = await openSsh(clients, text, options);
  try {
    return [first, ...(await openMoreSsh(clients, first, count - 1, options))];
  } catch (error) {
    await first.close();
    throw error;
  }
}

/** Whether a target may be reached through remote access: a space, or a Studio app named with its space. */
function mayBeSpace(text: string): boolean {
  if (/^(mi|i)-/i.test(text.trim())) {
    return false;
  }
  const target = parseTarget(text);
  return (
    target.form !== 'instance' &&
    (target.kind === 'space' ||
      (target.kind === 'studio' && !!target.owner && !!target.domain))
  );
}

/**
 * Resolves a target and logs in to it over SSH: an SSM managed instance with our key (delivered again once if the
 * server refuses it), or a space through remote access (see `spaces/connect.ts`).
 */
export async function openSsh(
  clients: AwsClients,
  text: string,
  options: IOpenSshOptions = {}
): Promise<ISshConnection> {
  if (options.resolvedAs || !mayBeSpace(text)) {
    return openInstanceSsh(clients, text, options);
  }
  const paths = options.paths ?? statePaths();
  if (options.identityFile) {
    // as prepareTarget does: a bad --identity is a usage error before any AWS call
    loadIdentity(options.identityFile);
  }
  const resolved = await resolveConnectTarget(clients, text, {
    callerCache: callerCache(paths.callers),
    ...options
  });
  return resolved.via === 'remote-access'
    ? openSpaceSsh(clients, resolved, options)
    : openInstanceSsh(clients, text, { ...options, resolvedAs: resolved });
}

async function openInstanceSsh(
  clients: AwsClients,
  text: string,
  options: IOpenSshOptions
): Promise<ISshConnection> {
  let prepared = await prepareTarget(clients, text, options);
  const kind =
    prepared.resolved.target.form === 'instance'
      ? undefined
      : prepared.resolved.target.kind;
  const user = options.user ?? defaultUser(kind);
  const port = options.port ?? 22;
  let opened;
  try {
    opened = await handshake(clients, prepared, user, port);
  } catch (error) {
    if (!(error instanceof SshAuthError) || prepared.delivered) {
      throw error;
    }
    options.onProgress?.(
      'the server refused the key delivered earlier; delivering it again'
    );
    prepared = prepareResolved(
      clients,
      prepared.resolved,
      prepared.identity,
      options.paths ?? statePaths(),
      { ...options, redeliver: true }
    );
    opened = await handshake(clients, prepared, user, port);
  }
  const { client, session } = opened;
  return {
    client,
    session,
    resolved: prepared.resolved,
    user,
    close: async () => {
      client.end();
      await session.close();
    }
  };
}
