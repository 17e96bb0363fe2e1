/**
 * Target → how to reach it: a space (kind `space`, or its ARN) through remote access; the long Studio form
 * `<app>.<space>.<domain>.studio.sagemaker` through remote access too when no managed instance is registered for it
 * but its space has remote access on; everything else through SSM as {@link resolveTarget} does.
 */
import type { AwsClients } from '../aws/clients.js';
import { UsageError } from '../errors.js';
import {
  formatTarget,
  parseTarget,
  type IResourceTarget
} from '../names/index.js';
import { instancesNamed } from '../resolve/instances.js';
import {
  matchInstances,
  resolveTarget,
  waitWithBackoff,
  type IResolvedTarget,
  type IResolveOptions
} from '../resolve/resolve.js';
import {
  describeSpace,
  remoteAccessProblem,
  spaceAddress,
  spaceTargetName
} from './describe.js';
import type { IResolvedSpace, ISpaceInfo } from './types.js';

export interface ISpaceResolveOptions extends IResolveOptions {
  /** Progress lines, for --verbose (the fallback of a Studio name is said here). */
  onProgress?: (text: string) => void;
}

/** Whether to wait for the space instead of failing: it is changing, or its app is starting. */
function settling(space: ISpaceInfo): boolean {
  return (
    space.remoteAccess === 'ENABLED' &&
    (space.status === 'Updating' ||
      space.status === 'Pending' ||
      space.app?.status === 'Pending')
  );
}

/**
 * The space a target names, once remote access can reach it: waits (1 s doubling to 30 s, up to `timeoutMs`, as
 * {@link resolveTarget}) while the space is Updating or its app Pending; otherwise its problem is the error.
 */
export async function resolveSpace(
  clients: AwsClients,
  target: IResourceTarget,
  options: ISpaceResolveOptions & { known?: ISpaceInfo } = {}
): Promise<IResolvedSpace> {
  const address = spaceAddress(target);
  if (!address) {
    throw new UsageError(
      `${formatTarget(target)} does not name a space of a domain`,
      'use <space>.<domain-id>.space.sagemaker or the space ARN (sm-ssh list --kind space)'
    );
  }
  if (options.node !== undefined && options.node !== 1) {
    throw new UsageError(
      `a space has one node, so there is no node ${options.node}`,
      'leave out --node'
    );
  }
  const name = spaceTargetName(address.domainId, address.spaceName);
  let known = options.known;
  return waitWithBackoff(
    name,
    options,
    'check the space in Studio; pass a longer --timeout to wait more',
    async () => {
      const space =
        known ??
        (await describeSpace(clients, address.domainId, address.spaceName));
      known = undefined;
      if (!space) {
        throw new UsageError(
          `there is no space ${address.spaceName} in domain ${address.domainId} (${clients.region})`,
          'check the name and the region (sm-ssh list --kind space shows the spaces you can reach)'
        );
      }
      const problem = remoteAccessProblem(space);
      if (!problem) {
        return { done: { via: 'remote-access', target, name, space, node: 1 } };
      }
      if (!settling(space)) {
        throw problem;
      }
      return { waitReason: problem.message };
    }
  );
}

/**
 * A Studio app named with its space and domain that has no managed instance registered: its space, if the space
 * has remote access on (undefined otherwise, and when SageMaker cannot tell: then SSM's path decides as before).
 */
async function studioFallback(
  clients: AwsClients,
  target: IResourceTarget,
  notBefore?: Date
): Promise<ISpaceInfo | undefined> {
  const address = spaceAddress(target);
  if (target.kind !== 'studio' || !address) {
    return undefined;
  }
  const registered = matchInstances(
    target,
    await instancesNamed(clients.ssm(), target.name),
    notBefore
  );
  if (registered.length > 0) {
    return undefined;
  }
  const space = await describeSpace(
    clients,
    address.domainId,
    address.spaceName
  ).catch(() => undefined);
  return space?.remoteAccess === 'ENABLED' ? space : undefined;
}

/**
 * Resolves any target to how it is reached: {@link resolveSpace} for spaces (and the Studio fallback, said through
 * `onProgress`), {@link resolveTarget} for the rest.
 */
export async function resolveConnectTarget(
  clients: AwsClients,
  text: string,
  options: ISpaceResolveOptions = {}
): Promise<IResolvedTarget | IResolvedSpace> {
  const target = parseTarget(text);
  if (target.form !== 'instance' && target.kind === 'space') {
    return resolveSpace(clients, target, options);
  }
  if (target.form !== 'instance' && target.kind === 'studio') {
    const space = await studioFallback(clients, target, options.notBefore);
    if (space) {
      options.onProgress?.(
        `${formatTarget(target)} has no registered managed instance, but its space ${space.spaceName} has remote access on: connecting through SageMaker remote access (${spaceTargetName(space.domainId, space.spaceName)})`
      );
      return resolveSpace(clients, target, { ...options, known: space });
    }
  }
  return resolveTarget(clients, text, options);
}
