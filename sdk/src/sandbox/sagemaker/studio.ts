/**
 * Studio user profiles, spaces and apps, which moto does not implement (500 on every call). Domains stay in moto;
 * the service checks a domain there before creating anything in it. Profiles and spaces are Pending, then
 * InService after the clock's ready time; apps likewise; a deleted app stays listed as Deleted, a deleted profile
 * or space disappears once Deleting is over. UpdateSpace merges SpaceSettings (Updating, then InService). For
 * StartSession (remote access), an app keeps the RemoteAccess its space had when the app was created, and for
 * `remoteAccessBootMs` after it is InService the session fails with InternalFailure, as a freshly started app's does.
 */
import { AwsServiceError, type ICallContext } from '../aws-json-server.js';
import { settle, type Clock, type IEvolving } from './clock.js';
import { listPage } from './listing.js';
import {
  DOMAIN_ID_PATTERN,
  NAME_PATTERN,
  defined,
  epoch,
  oneOf,
  optionalString,
  pick,
  requiredString,
  sageMakerArn,
  scopeKey,
  scopeOf,
  parseSageMakerArn,
  validation,
  type IScope
} from './shapes.js';
import { tagsOf, type TagStore } from './tags.js';

export const APP_TYPES = [
  'JupyterServer',
  'KernelGateway',
  'DetailedProfiler',
  'TensorBoard',
  'CodeEditor',
  'JupyterLab',
  'RStudioServerPro',
  'RSessionGateway',
  'Canvas'
] as const;
export type AppType = (typeof APP_TYPES)[number];

export type OwnerStatus =
  'Pending' | 'InService' | 'Updating' | 'Deleting' | 'Failed';

/** Values of `SpaceSettings.RemoteAccess`. */
export const REMOTE_ACCESS_VALUES = ['ENABLED', 'DISABLED'] as const;

/** The tag AWS puts on a private space: its owner profile's ARN (IAM conditions on StartSession use it). */
export const USER_PROFILE_ARN_TAG = 'sagemaker:user-profile-arn';

/** Apps whose spaces offer remote access. */
const REMOTE_ACCESS_APPS: readonly string[] = ['JupyterLab', 'CodeEditor'];

/** Where a space is. */
export type ISpaceAddress = Pick<
  IRemoteAccessSpace,
  'scope' | 'domainId' | 'spaceName'
>;

/** A space that StartSession may open a remote-access session to: it is InService with a running app. */
export interface IRemoteAccessSpace {
  scope: IScope;
  domainId: string;
  spaceName: string;
  spaceArn: string;
  appType: AppType;
  appName: string;
}
export type AppStatus =
  'Pending' | 'InService' | 'Deleting' | 'Deleted' | 'Failed';

type OwnerKind = 'user-profile' | 'space';

/** A user profile or a space: what apps belong to. */
interface IOwner extends IEvolving {
  kind: OwnerKind;
  scope: IScope;
  domainId: string;
  name: string;
  arn: string;
  status: OwnerStatus;
  created: number;
  modified: number;
  homeUid: string;
  /** Request members Describe answers with. */
  settings: Record<string, unknown>;
}

interface IApp extends IEvolving {
  scope: IScope;
  domainId: string;
  owner: { kind: OwnerKind; name: string };
  type: AppType;
  name: string;
  arn: string;
  status: AppStatus;
  created: number;
  modified: number;
  resourceSpec: Record<string, unknown>;
  failureReason?: string;
  /**
   * The space's RemoteAccess when the app was created: a running app keeps the setting it started with, so
   * enabling remote access takes effect only once the app is created again.
   */
  remoteAccess: boolean;
  /** When the app became InService. */
  readyAt?: number;
}

const OWNER_FACTS: Record<
  OwnerKind,
  { label: string; member: string; echoed: readonly string[] }
> = {
  'user-profile': {
    label: 'User profile',
    member: 'UserProfileName',
    echoed: [
      'UserSettings',
      'SingleSignOnUserIdentifier',
      'SingleSignOnUserValue'
    ]
  },
  space: {
    label: 'Space',
    member: 'SpaceName',
    echoed: [
      'SpaceSettings',
      'OwnershipSettings',
      'SpaceSharingSettings',
      'SpaceDisplayName'
    ]
  }
};

/** Instance types Studio gives an app when CreateApp names none. */
function defaultResourceSpec(type: AppType): Record<string, unknown> {
  return { InstanceType: type === 'JupyterServer' ? 'system' : 'ml.t3.medium' };
}

export class StudioStore {
  private readonly owners = new Map<string, IOwner>();
  private readonly apps = new Map<string, IApp>();
  private nextUid = 200001;

  constructor(
    private readonly tags: TagStore,
    private readonly clock: Clock,
    /** A space's app is being deleted or failed: what runs in the space (remote-access sessions) ends. */
    private readonly onSpaceAppStopped?: (space: ISpaceAddress) => void
  ) {}

  private appStopped(app: IApp): void {
    if (app.owner.kind === 'space') {
      this.onSpaceAppStopped?.({
        scope: app.scope,
        domainId: app.domainId,
        spaceName: app.owner.name
      });
    }
  }

  private static ownerKey(
    scope: IScope,
    domainId: string,
    kind: OwnerKind,
    name: string
  ): string {
    return `${scopeKey(scope)}/${domainId}/${kind}/${name}`;
  }

  private static appKey(
    scope: IScope,
    domainId: string,
    owner: { kind: OwnerKind; name: string },
    type: string,
    name: string
  ): string {
    return `${StudioStore.ownerKey(scope, domainId, owner.kind, owner.name)}/${type}/${name}`;
  }

  private settleOwner(key: string): IOwner | undefined {
    const owner = this.owners.get(key);
    if (owner) {
      settle(owner, this.clock);
    }
    return this.owners.get(key);
  }

  private findOwner(
    scope: IScope,
    domainId: string,
    kind: OwnerKind,
    name: string
  ): IOwner | undefined {
    return this.settleOwner(StudioStore.ownerKey(scope, domainId, kind, name));
  }

  private ownerNotFound(kind: OwnerKind, name: string, domainId: string) {
    return new AwsServiceError(
      'ResourceNotFound',
      `${OWNER_FACTS[kind].label} [${name}] does not exist in domain [${domainId}].`
    );
  }

  /** Whether the ARN names a profile, space or app of this store. */
  owns(arn: string): boolean {
    this.settleAll(false);
    return (
      [...this.owners.values()].some(owner => owner.arn === arn) ||
      [...this.apps.values()].some(
        app => app.arn === arn && app.status !== 'Deleted'
      )
    );
  }

  createOwner(
    kind: OwnerKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const facts = OWNER_FACTS[kind];
    const domainId = requiredString(input, 'DomainId', DOMAIN_ID_PATTERN);
    const name = requiredString(input, facts.member, NAME_PATTERN);
    const tags = tagsOf(input.Tags);
    if (kind === 'space') {
      remoteAccessOf(input.SpaceSettings);
    }
    const scope = scopeOf(call);
    const key = StudioStore.ownerKey(scope, domainId, kind, name);
    if (this.settleOwner(key)) {
      throw new AwsServiceError(
        'ResourceInUse',
        `${facts.label} [${name}] already exists in domain [${domainId}].`
      );
    }
    const ownerName = (
      input.OwnershipSettings as { OwnerUserProfileName?: unknown } | undefined
    )?.OwnerUserProfileName;
    if (
      kind === 'space' &&
      typeof ownerName === 'string' &&
      !this.findOwner(scope, domainId, 'user-profile', ownerName)
    ) {
      throw this.ownerNotFound('user-profile', ownerName, domainId);
    }
    const now = this.clock.now();
    const owner: IOwner = {
      kind,
      scope,
      domainId,
      name,
      arn: sageMakerArn(scope, `${kind}/${domainId}/${name}`),
      status: 'Pending',
      created: now,
      modified: now,
      homeUid: String(this.nextUid++),
      settings: pick(input, facts.echoed)
    };
    owner.pending = {
      at: now + this.clock.readyMs,
      apply: at => {
        owner.status = 'InService';
        owner.modified = at;
      }
    };
    this.owners.set(key, owner);
    this.tags.add(
      owner.arn,
      typeof ownerName === 'string' && kind === 'space'
        ? [
            ...tags,
            {
              Key: USER_PROFILE_ARN_TAG,
              Value: sageMakerArn(
                scope,
                `user-profile/${domainId}/${ownerName}`
              )
            }
          ]
        : tags
    );
    return {
      [kind === 'space' ? 'SpaceArn' : 'UserProfileArn']: owner.arn
    };
  }

  describeOwner(
    kind: OwnerKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const owner = this.requireOwner(kind, input, call);
    const common = {
      DomainId: owner.domainId,
      HomeEfsFileSystemUid: owner.homeUid,
      Status: owner.status,
      LastModifiedTime: epoch(owner.modified),
      CreationTime: epoch(owner.created),
      ...owner.settings
    };
    return kind === 'space'
      ? { ...common, SpaceArn: owner.arn, SpaceName: owner.name }
      : { ...common, UserProfileArn: owner.arn, UserProfileName: owner.name };
  }

  listOwners(
    kind: OwnerKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const scope = scopeKey(scopeOf(call));
    const domainId = optionalString(input, 'DomainIdEquals');
    const mine = [...this.owners.keys()]
      .map(key => this.settleOwner(key))
      .filter(
        (owner): owner is IOwner =>
          owner !== undefined &&
          owner.kind === kind &&
          scopeKey(owner.scope) === scope &&
          (domainId === undefined || owner.domainId === domainId)
      );
    const page = listPage(
      mine,
      input,
      {
        nameContains:
          kind === 'space' ? 'SpaceNameContains' : 'UserProfileNameContains',
        sortBy: ['CreationTime', 'LastModifiedTime'],
        maxResults: { max: 100, fallback: 10 }
      },
      owner => ({
        name: owner.name,
        status: owner.status,
        created: owner.created,
        modified: owner.modified
      })
    );
    const items = page.items.map(owner =>
      kind === 'space' ? spaceDetails(owner) : userProfileDetails(owner)
    );
    return defined({
      [kind === 'space' ? 'Spaces' : 'UserProfiles']: items,
      NextToken: page.nextToken
    });
  }

  deleteOwner(
    kind: OwnerKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const owner = this.requireOwner(kind, input, call);
    const live = [...this.apps.values()].filter(app => {
      settle(app, this.clock);
      return (
        app.domainId === owner.domainId &&
        scopeKey(app.scope) === scopeKey(owner.scope) &&
        app.owner.kind === kind &&
        app.owner.name === owner.name &&
        app.status !== 'Deleted'
      );
    });
    if (live.length > 0) {
      throw new AwsServiceError(
        'ResourceInUse',
        `${OWNER_FACTS[kind].label} [${owner.name}] has apps that are not deleted: ${live.map(app => `${app.type}/${app.name}`).join(', ')}`
      );
    }
    if (owner.status === 'Deleting') {
      return {};
    }
    const now = this.clock.now();
    owner.status = 'Deleting';
    owner.modified = now;
    const key = StudioStore.ownerKey(
      owner.scope,
      owner.domainId,
      kind,
      owner.name
    );
    owner.pending = {
      at: now + this.clock.deleteMs,
      apply: () => {
        this.owners.delete(key);
        this.tags.forget(owner.arn);
      }
    };
    return {};
  }

  createApp(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const { scope, domainId, owner, type, name } = this.appAddress(input, call);
    const tags = tagsOf(input.Tags);
    const found = this.findOwner(scope, domainId, owner.kind, owner.name);
    if (!found || found.status === 'Deleting') {
      throw this.ownerNotFound(owner.kind, owner.name, domainId);
    }
    const key = StudioStore.appKey(scope, domainId, owner, type, name);
    const existing = this.apps.get(key);
    if (existing) {
      settle(existing, this.clock);
      if (existing.status !== 'Deleted' && existing.status !== 'Failed') {
        throw new AwsServiceError(
          'ResourceInUse',
          `App [${existing.arn}] already exists with status ${existing.status}.`
        );
      }
      this.tags.forget(existing.arn);
    }
    const now = this.clock.now();
    const app: IApp = {
      scope,
      domainId,
      owner,
      type,
      name,
      arn: sageMakerArn(scope, `app/${domainId}/${owner.name}/${type}/${name}`),
      status: 'Pending',
      created: now,
      modified: now,
      resourceSpec:
        typeof input.ResourceSpec === 'object' && input.ResourceSpec !== null
          ? (input.ResourceSpec as Record<string, unknown>)
          : defaultResourceSpec(type),
      remoteAccess:
        owner.kind === 'space' &&
        remoteAccessOf(
          (found.settings as { SpaceSettings?: unknown }).SpaceSettings
        ) === 'ENABLED'
    };
    app.pending = {
      at: now + this.clock.readyMs,
      apply: at => {
        app.status = 'InService';
        app.modified = at;
        app.readyAt = at;
      }
    };
    this.apps.set(key, app);
    this.tags.add(app.arn, tags);
    return { AppArn: app.arn };
  }

  describeApp(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const app = this.requireApp(input, call);
    return defined({
      AppArn: app.arn,
      AppType: app.type,
      AppName: app.name,
      DomainId: app.domainId,
      [app.owner.kind === 'space' ? 'SpaceName' : 'UserProfileName']:
        app.owner.name,
      Status: app.status,
      LastHealthCheckTimestamp:
        app.status === 'InService' ? epoch(app.modified) : undefined,
      LastUserActivityTimestamp:
        app.status === 'InService' ? epoch(app.modified) : undefined,
      CreationTime: epoch(app.created),
      FailureReason: app.failureReason,
      ResourceSpec: app.resourceSpec
    });
  }

  listApps(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const scope = scopeKey(scopeOf(call));
    const domainId = optionalString(input, 'DomainIdEquals');
    const user = optionalString(input, 'UserProfileNameEquals');
    const space = optionalString(input, 'SpaceNameEquals');
    if (user !== undefined && space !== undefined) {
      throw validation(
        'Only one of UserProfileNameEquals and SpaceNameEquals may be given.'
      );
    }
    const mine = [...this.apps.values()].filter(app => {
      settle(app, this.clock);
      return (
        scopeKey(app.scope) === scope &&
        (domainId === undefined || app.domainId === domainId) &&
        (user === undefined ||
          (app.owner.kind === 'user-profile' && app.owner.name === user)) &&
        (space === undefined ||
          (app.owner.kind === 'space' && app.owner.name === space))
      );
    });
    const page = listPage(
      mine,
      input,
      { sortBy: ['CreationTime'], maxResults: { max: 100, fallback: 10 } },
      app => ({
        name: app.name,
        status: app.status,
        created: app.created,
        modified: app.modified
      })
    );
    return defined({
      Apps: page.items.map(app =>
        defined({
          DomainId: app.domainId,
          [app.owner.kind === 'space' ? 'SpaceName' : 'UserProfileName']:
            app.owner.name,
          AppType: app.type,
          AppName: app.name,
          Status: app.status,
          CreationTime: epoch(app.created),
          ResourceSpec: app.resourceSpec
        })
      ),
      NextToken: page.nextToken
    });
  }

  deleteApp(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const app = this.requireApp(input, call);
    if (app.status === 'Deleted' || app.status === 'Deleting') {
      throw new AwsServiceError(
        'ResourceInUse',
        `App [${app.arn}] is already ${app.status}.`
      );
    }
    const now = this.clock.now();
    app.status = 'Deleting';
    app.modified = now;
    this.appStopped(app);
    app.pending = {
      at: now + this.clock.deleteMs,
      apply: at => {
        app.status = 'Deleted';
        app.modified = at;
      }
    };
    return {};
  }

  /** UpdateSpace: the given SpaceSettings members replace the space's; Updating, then InService. */
  updateSpace(
    input: Record<string, unknown>,
    call: ICallContext
  ): Record<string, unknown> {
    const space = this.requireOwner('space', input, call);
    const displayName = optionalString(input, 'SpaceDisplayName');
    const changes = input.SpaceSettings;
    if (
      changes !== undefined &&
      (changes === null ||
        typeof changes !== 'object' ||
        Array.isArray(changes))
    ) {
      throw validation('SpaceSettings must be a structure');
    }
    remoteAccessOf(changes);
    if (space.status !== 'InService' && space.status !== 'Failed') {
      throw validation(
        `Space [${space.name}] is in status ${space.status} and cannot be updated now.`
      );
    }
    const settings = space.settings as {
      SpaceSettings?: Record<string, unknown>;
    };
    if (changes) {
      settings.SpaceSettings = {
        ...settings.SpaceSettings,
        ...(changes as Record<string, unknown>)
      };
    }
    if (displayName !== undefined) {
      space.settings.SpaceDisplayName = displayName;
    }
    const now = this.clock.now();
    space.status = 'Updating';
    space.modified = now;
    space.pending = {
      at: now + this.clock.readyMs,
      apply: at => {
        space.status = 'InService';
        space.modified = at;
      }
    };
    return { SpaceArn: space.arn };
  }

  /**
   * The space StartSession names, checked as AWS does: an ARN of this account and region, a known space, an
   * InService JupyterLab or Code Editor app that started with remote access on and has finished booting.
   */
  remoteAccessSpace(arn: string, call: ICallContext): IRemoteAccessSpace {
    const scope = scopeOf(call);
    const parsed = parseSageMakerArn(arn);
    const [domainId, spaceName, extra] = parsed?.path.split('/') ?? [];
    if (
      !parsed ||
      parsed.type !== 'space' ||
      scopeKey(parsed.scope) !== scopeKey(scope) ||
      !domainId ||
      !spaceName ||
      extra !== undefined
    ) {
      throw validation(
        `Invalid ResourceIdentifier [${arn}]: expected the ARN of a space in ${scope.region} of account ${scope.account} (arn:aws:sagemaker:${scope.region}:${scope.account}:space/<domain-id>/<space-name>).`
      );
    }
    const space = this.findOwner(scope, domainId, 'space', spaceName);
    if (!space) {
      throw this.ownerNotFound('space', spaceName, domainId);
    }
    const apps = [...this.apps.values()].filter(app => {
      settle(app, this.clock);
      return (
        scopeKey(app.scope) === scopeKey(scope) &&
        app.domainId === domainId &&
        app.owner.kind === 'space' &&
        app.owner.name === spaceName &&
        app.status === 'InService' &&
        REMOTE_ACCESS_APPS.includes(app.type)
      );
    });
    const app = apps.find(candidate => candidate.remoteAccess) ?? apps[0];
    if (!app) {
      throw validation(
        `Space [${spaceName}] has no running JupyterLab or CodeEditor app; start the space and try again.`
      );
    }
    if (!app.remoteAccess) {
      throw validation(
        `Remote access is not enabled for space [${spaceName}]. Enable remote access in the space settings (SpaceSettings.RemoteAccess = ENABLED) and restart the space.`
      );
    }
    if (this.clock.now() < (app.readyAt ?? 0) + this.clock.remoteAccessBootMs) {
      throw new AwsServiceError(
        'InternalFailure',
        'An internal error occurred while starting the session. Please try again.',
        500
      );
    }
    return {
      scope,
      domainId,
      spaceName,
      spaceArn: space.arn,
      appType: app.type,
      appName: app.name
    };
  }

  /** Control: the remote-access servers of every InService app have booted (no InternalFailure from now on). */
  bootRemoteAccess(): void {
    this.settleAll(false);
    for (const app of this.apps.values()) {
      if (app.status === 'InService') {
        app.readyAt = -Infinity;
      }
    }
  }

  /** Control: an app fails (e.g. its image does not start), with the reason Describe shows. */
  failApp(arn: string, reason: string): void {
    const app = [...this.apps.values()].find(
      candidate => candidate.arn === arn
    );
    if (!app) {
      throw validation(`no app ${arn}`);
    }
    app.pending = undefined;
    app.status = 'Failed';
    app.failureReason = reason;
    app.modified = this.clock.now();
    this.appStopped(app);
  }

  /** Applies pending transitions: every one with `force`, else those that are due. */
  settleAll(force = true): void {
    [...this.owners.values()].forEach(owner =>
      settle(owner, this.clock, force)
    );
    this.apps.forEach(app => settle(app, this.clock, force));
  }

  private requireOwner(
    kind: OwnerKind,
    input: Record<string, unknown>,
    call: ICallContext
  ): IOwner {
    const domainId = requiredString(input, 'DomainId');
    const name = requiredString(input, OWNER_FACTS[kind].member);
    const owner = this.findOwner(scopeOf(call), domainId, kind, name);
    if (!owner) {
      throw this.ownerNotFound(kind, name, domainId);
    }
    return owner;
  }

  private appAddress(input: Record<string, unknown>, call: ICallContext) {
    const domainId = requiredString(input, 'DomainId', DOMAIN_ID_PATTERN);
    const user = optionalString(input, 'UserProfileName', NAME_PATTERN);
    const space = optionalString(input, 'SpaceName', NAME_PATTERN);
    if ((user === undefined) === (space === undefined)) {
      throw validation(
        'Exactly one of UserProfileName and SpaceName must be given.'
      );
    }
    const owner = {
      kind: (space === undefined ? 'user-profile' : 'space') as OwnerKind,
      name: (space ?? user) as string
    };
    return {
      scope: scopeOf(call),
      domainId,
      owner,
      type: oneOf(input, 'AppType', APP_TYPES),
      name: requiredString(input, 'AppName', NAME_PATTERN)
    };
  }

  private requireApp(input: Record<string, unknown>, call: ICallContext): IApp {
    const { scope, domainId, owner, type, name } = this.appAddress(input, call);
    const app = this.apps.get(
      StudioStore.appKey(scope, domainId, owner, type, name)
    );
    if (!app) {
      throw new AwsServiceError(
        'ResourceNotFound',
        `App [${sageMakerArn(scope, `app/${domainId}/${owner.name}/${type}/${name}`)}] does not exist.`
      );
    }
    settle(app, this.clock);
    return app;
  }
}

function userProfileDetails(owner: IOwner): Record<string, unknown> {
  return {
    DomainId: owner.domainId,
    UserProfileName: owner.name,
    Status: owner.status,
    CreationTime: epoch(owner.created),
    LastModifiedTime: epoch(owner.modified)
  };
}

function spaceDetails(owner: IOwner): Record<string, unknown> {
  const settings = owner.settings as {
    SpaceSettings?: Record<string, unknown>;
    OwnershipSettings?: Record<string, unknown>;
    SpaceSharingSettings?: Record<string, unknown>;
    SpaceDisplayName?: string;
  };
  return defined({
    DomainId: owner.domainId,
    SpaceName: owner.name,
    Status: owner.status,
    CreationTime: epoch(owner.created),
    LastModifiedTime: epoch(owner.modified),
    SpaceSettingsSummary: settings.SpaceSettings
      ? pick(settings.SpaceSettings, [
          'AppType',
          'RemoteAccess',
          'SpaceStorageSettings'
        ])
      : undefined,
    SpaceSharingSettingsSummary: settings.SpaceSharingSettings,
    OwnershipSettingsSummary: settings.OwnershipSettings,
    SpaceDisplayName: settings.SpaceDisplayName
  });
}

/** Reads `SpaceSettings.RemoteAccess` (validated); undefined when not given. */
function remoteAccessOf(spaceSettings: unknown): string | undefined {
  const value = (spaceSettings as { RemoteAccess?: unknown } | undefined)
    ?.RemoteAccess;
  if (value === undefined || value === null) {
    return undefined;
  }
  if (
    typeof value !== 'string' ||
    !(REMOTE_ACCESS_VALUES as readonly string[]).includes(value)
  ) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'spaceSettings.remoteAccess' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]`
    );
  }
  return value;
}
