/**
 * Every Studio space of the region as `sm-ssh list` shows it: ListSpaces (all domains, all pages) and one ListApps
 * over all of them (all pages), so a listing costs two call sequences however many spaces and domains there are.
 * Every space is listed, whatever its app type: one that remote access cannot reach is `Offline`, and `connect`
 * says why (remoteAccessProblem) — hiding it would leave users wondering where their space went.
 */
import type { AppDetails, SpaceDetails } from '@aws-sdk/client-sagemaker';
import type { AwsClients } from '../aws/clients.js';
import { partitionOf } from '../aws/regions.js';
import { sagemakerSdk } from '../aws/sdk.js';
import type { ITargetSummary } from '../resolve/list.js';
import { remoteAccessProblem, spaceInfo, spaceTargetName } from './describe.js';
import type { ISpaceInfo } from './types.js';

export interface IListSpacesOptions {
  now?: number;
  /**
   * The caller's account, which fills in the ARNs ListSpaces does not return (a promise, so that STS can be asked
   * while ListSpaces runs); without it the ARNs are left out.
   */
  account?: string | Promise<string | undefined>;
}

/** All pages of a SageMaker List* call. */
async function allPages<T>(
  page: (token: string | undefined) => Promise<{
    items: T[] | undefined;
    next: string | undefined;
  }>
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...(answer.items ?? []));
    token = answer.next;
  } while (token);
  return items;
}

/** The space's ARN, which ListSpaces does not return (SpaceDetails has none): from the region and the account. */
export function spaceArn(
  region: string,
  account: string,
  domainId: string,
  spaceName: string
): string {
  return `arn:${partitionOf(region)}:sagemaker:${region}:${account}:space/${domainId}/${spaceName}`;
}

/** One list line of a space (the field meanings are ITargetSummary's). */
export function spaceSummary(
  space: ISpaceInfo,
  appCreated: Date | undefined,
  now: number
): ITargetSummary {
  const live = space.app !== undefined;
  return {
    target: spaceTargetName(space.domainId, space.spaceName),
    kind: 'space',
    status: space.status,
    ping: remoteAccessProblem(space) === null ? 'Online' : 'Offline',
    nodes: live ? 1 : 0,
    owner: space.ownerProfile ?? '',
    mine: true,
    ageSeconds:
      live && appCreated
        ? Math.max(0, Math.round((now - appCreated.getTime()) / 1000))
        : undefined,
    instances: [],
    resourceArn: space.spaceArn || undefined,
    via: 'remote-access',
    remoteAccess: space.remoteAccess,
    appType: space.appType,
    appStatus: space.app?.status ?? 'None'
  };
}

/** The spaces as list lines, sorted by name. */
export async function listSpaceTargets(
  clients: AwsClients,
  options: IListSpacesOptions = {}
): Promise<ITargetSummary[]> {
  const now = options.now ?? Date.now();
  const { ListAppsCommand, ListSpacesCommand } = sagemakerSdk();
  const sagemaker = clients.sagemaker();
  const spaces = await allPages<SpaceDetails>(async token => {
    const answer = await sagemaker.send(
      new ListSpacesCommand({ NextToken: token, MaxResults: 100 })
    );
    return { items: answer.Spaces, next: answer.NextToken };
  });
  if (spaces.length === 0) {
    return [];
  }
  // one ListApps for every domain (no DomainIdEquals), as AWS's own toolkit does: per-domain calls would cost more
  const apps = await allPages<AppDetails>(async token => {
    const answer = await sagemaker.send(
      new ListAppsCommand({ NextToken: token, MaxResults: 100 })
    );
    return { items: answer.Apps, next: answer.NextToken };
  });
  const appsOf = new Map<string, AppDetails[]>();
  for (const app of apps) {
    if (app.SpaceName && app.DomainId) {
      const key = `${app.DomainId}/${app.SpaceName}`;
      appsOf.set(key, [...(appsOf.get(key) ?? []), app]);
    }
  }
  const account = await options.account;
  const arnOf = account
    ? (domainId: string, spaceName: string) =>
        spaceArn(clients.region, account, domainId, spaceName)
    : undefined;
  return spaces
    .filter(space => space.DomainId && space.SpaceName)
    .map(space => {
      const own = appsOf.get(`${space.DomainId}/${space.SpaceName}`) ?? [];
      const info = spaceInfo(space, own, arnOf);
      const app = own.find(
        candidate =>
          candidate.AppName === info.app?.appName &&
          candidate.AppType === info.app?.appType &&
          candidate.Status === info.app?.status
      );
      return spaceSummary(info, app?.CreationTime, now);
    })
    .sort((a, b) => a.target.localeCompare(b.target));
}
