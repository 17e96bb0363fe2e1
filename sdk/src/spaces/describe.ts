/**
 * What a space is now: DescribeSpace for its settings, ListApps for the app that runs it, and whether remote access
 * can reach it (InService, remote access on, an app of a supported type running) — or what to do about it.
 */
import type {
  AppDetails,
  DescribeSpaceCommandOutput
} from '@aws-sdk/client-sagemaker';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError, errorName } from '../aws/errors.js';
import { sagemakerSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import { formatTarget, type IResourceTarget } from '../names/index.js';
import { REMOTE_ACCESS_APP_TYPES, type ISpaceInfo } from './types.js';

/** The name of a space as `connect` takes it. */
export function spaceTargetName(domainId: string, spaceName: string): string {
  return formatTarget({
    form: 'name',
    kind: 'space',
    name: spaceName,
    domain: domainId
  });
}

/** The space a target names: kind `space`, or a Studio app whose owner part is a space. */
export function spaceAddress(
  target: IResourceTarget
): { domainId: string; spaceName: string } | undefined {
  if (target.kind === 'space' && target.domain) {
    return { domainId: target.domain, spaceName: target.name };
  }
  if (target.kind === 'studio' && target.domain && target.owner) {
    return { domainId: target.domain, spaceName: target.owner };
  }
  return undefined;
}

/** Whether an AWS error says the space (or app) does not exist. */
export function isNotFound(error: unknown): boolean {
  return (
    errorName(error) === 'ResourceNotFound' ||
    /does not exist|not found/i.test((error as Error).message ?? '')
  );
}

/** A space as read: SageMaker's own answers (for the fields ISpaceInfo leaves out) and the record made of them. */
export interface ISpaceReading {
  described: DescribeSpaceCommandOutput;
  apps: AppDetails[];
  info: ISpaceInfo;
}

/** DescribeSpace + ListApps of one space; undefined when the space does not exist. */
export async function readSpace(
  clients: AwsClients,
  domainId: string,
  spaceName: string
): Promise<ISpaceReading | undefined> {
  const { DescribeSpaceCommand, ListAppsCommand } = sagemakerSdk();
  const sagemaker = clients.sagemaker();
  let described: DescribeSpaceCommandOutput;
  try {
    described = await sagemaker.send(
      new DescribeSpaceCommand({ DomainId: domainId, SpaceName: spaceName })
    );
  } catch (error) {
    if (isNotFound(error)) {
      return undefined;
    }
    throw describeAwsError(error, `describing space ${spaceName}`);
  }
  const listed = await sagemaker
    .send(
      new ListAppsCommand({
        DomainIdEquals: domainId,
        SpaceNameEquals: spaceName,
        MaxResults: 50
      })
    )
    .catch((error: unknown) => {
      throw describeAwsError(error, `listing the apps of space ${spaceName}`);
    });
  const apps = listed.Apps ?? [];
  return { described, apps, info: spaceInfo(described, apps) };
}

/** DescribeSpace (+ ListApps) as an ISpaceInfo; undefined when the space does not exist. */
export async function describeSpace(
  clients: AwsClients,
  domainId: string,
  spaceName: string
): Promise<ISpaceInfo | undefined> {
  return (await readSpace(clients, domainId, spaceName))?.info;
}

/** ISpaceInfo from a DescribeSpace answer (or a ListSpaces summary) and the space's apps. */
export function spaceInfo(
  described: {
    SpaceArn?: string;
    SpaceName?: string;
    DomainId?: string;
    Status?: string;
    SpaceSettings?: { AppType?: string; RemoteAccess?: string };
    SpaceSettingsSummary?: { AppType?: string; RemoteAccess?: string };
    OwnershipSettings?: { OwnerUserProfileName?: string };
    OwnershipSettingsSummary?: { OwnerUserProfileName?: string };
    SpaceSharingSettings?: { SharingType?: string };
    SpaceSharingSettingsSummary?: { SharingType?: string };
  },
  apps: ReadonlyArray<{
    AppType?: string;
    AppName?: string;
    Status?: string;
    ResourceSpec?: { InstanceType?: string };
  }>,
  arnOf?: (domainId: string, spaceName: string) => string
): ISpaceInfo {
  const settings = described.SpaceSettings ?? described.SpaceSettingsSummary;
  const domainId = described.DomainId ?? '';
  const spaceName = described.SpaceName ?? '';
  const appType = settings?.AppType;
  const live = apps.filter(
    app =>
      app.Status !== 'Deleted' &&
      (appType === undefined || app.AppType === appType)
  );
  const app = live.find(a => a.Status === 'InService') ?? live[0];
  return {
    domainId,
    spaceName,
    spaceArn: described.SpaceArn ?? arnOf?.(domainId, spaceName) ?? '',
    status: described.Status ?? 'unknown',
    appType,
    remoteAccess: settings?.RemoteAccess === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    ownerProfile: (
      described.OwnershipSettings ?? described.OwnershipSettingsSummary
    )?.OwnerUserProfileName,
    sharingType: (
      described.SpaceSharingSettings ?? described.SpaceSharingSettingsSummary
    )?.SharingType,
    app: app
      ? {
          appType: app.AppType ?? appType ?? '',
          appName: app.AppName ?? 'default',
          status: app.Status ?? 'unknown',
          instanceType: app.ResourceSpec?.InstanceType
        }
      : undefined
  };
}

/** Whether remote access can reach the space now; the reason and the fix when not (null: it can). */
export function remoteAccessProblem(
  space: ISpaceInfo
): OperationError | UsageError | null {
  const name = spaceTargetName(space.domainId, space.spaceName);
  if (
    space.appType &&
    !(REMOTE_ACCESS_APP_TYPES as readonly string[]).includes(space.appType)
  ) {
    return new UsageError(
      `${name} is a ${space.appType} space; remote access serves JupyterLab and Code Editor spaces only`,
      'create a JupyterLab or Code Editor space for remote access'
    );
  }
  if (space.remoteAccess !== 'ENABLED') {
    return new OperationError(
      `remote access is not enabled on ${name}`,
      `enable it with: sm-ssh space enable-remote-access ${name} (this restarts the space's app: save your work first)`
    );
  }
  if (space.status !== 'InService') {
    return new OperationError(
      `${name} is ${space.status}, not InService`,
      'wait for the space to be InService (SageMaker console → Studio → Spaces)'
    );
  }
  if (!space.app) {
    return new OperationError(
      `${name} has no running ${space.appType ?? ''} app`.replace('  ', ' '),
      'start the space from Studio (Run space), then connect again'
    );
  }
  if (space.app.status !== 'InService') {
    return new OperationError(
      `the app of ${name} is ${space.app.status}, not InService`,
      space.app.status === 'Pending'
        ? 'it is starting: connect again in a minute (or pass --timeout to wait)'
        : 'start the space from Studio (Run space), then connect again'
    );
  }
  return null;
}
