/**
 * `enable-remote-access`: turn a space's `SpaceSettings.RemoteAccess` on (UpdateSpace) and restart its app, since a
 * running app keeps the setting it started with (restarting loses unsaved work: the CLI asks first). The steps are
 * decided from what DescribeSpace and ListApps say (planEnable, pure) before anything is changed, so a refusal —
 * an app type remote access does not serve, an instance under 8 GiB — costs no change to the space.
 */
import type {
  AppInstanceType,
  AppType,
  DescribeSpaceCommandOutput,
  ResourceSpec
} from '@aws-sdk/client-sagemaker';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { sagemakerSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import { KIND_RESOURCE, parseTarget } from '../names/index.js';
import {
  describeSpace,
  isNotFound,
  readSpace,
  spaceTargetName
} from './describe.js';
import { REMOTE_ACCESS_APP_TYPES, type ISpaceInfo } from './types.js';

export interface IEnableOptions {
  /** Each step, as a line for a person ("stopping app JupyterLab/default (DeleteApp)"). */
  onStep?: (step: string) => void;
  /** How long the waits may take altogether (default 15 minutes). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Recreate the app on this instance type (remote access needs at least 8 GiB of memory). */
  instanceType?: string;
  /** Restart the app even when remote access is on and the app seems to have started with it. */
  restart?: boolean;
  /**
   * Asked before the app is restarted (which loses unsaved work in it), after the checks and before any change;
   * false stops with nothing changed. Without it the restart goes ahead.
   */
  confirmRestart?: (restart: {
    space: string;
    appType: string;
    appName: string;
  }) => Promise<boolean>;
}

export const ENABLE_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Instance types with less than the 8 GiB remote access needs: the ones AWS's documentation names (ml.t3.medium,
 * ml.c7i.large, ml.c6i.large, ml.c6id.large, ml.c5.large) and the t3 sizes below ml.t3.medium.
 */
export const TOO_SMALL_INSTANCE_TYPES: readonly string[] = [
  'ml.t3.micro',
  'ml.t3.small',
  'ml.t3.medium',
  'ml.c5.large',
  'ml.c6i.large',
  'ml.c6id.large',
  'ml.c7i.large'
];

/** The smallest general-purpose type with 8 GiB, for hints. */
const SUGGESTED_INSTANCE_TYPE = 'ml.t3.large';

/**
 * A space's last modification closer than this to its creation is the creation itself settling (Pending →
 * InService), not an update the running app could predate.
 */
const CREATION_SETTLES_MS = 60_000;

/** The space a target names: a space name or a space ARN (of the clients' region); anything else is bad input. */
export function enableTargetSpace(
  text: string,
  region: string
): { domainId: string; spaceName: string } {
  const target = parseTarget(text);
  const hint =
    'enable-remote-access takes <space>.<domain-id>.space.sagemaker or a space ARN (sm-ssh list --kind space shows them)';
  if (target.form === 'instance') {
    throw new UsageError(
      `${text} is a managed instance, not a Studio space`,
      hint
    );
  }
  if (target.kind !== 'space' || !target.domain) {
    throw new UsageError(
      `${text} is a ${KIND_RESOURCE[target.kind]}, not a Studio space`,
      hint
    );
  }
  if (target.region && target.region !== region) {
    throw new UsageError(
      `${text} is in ${target.region}, not in ${region}`,
      `pass --region ${target.region}`
    );
  }
  return { domainId: target.domain, spaceName: target.name };
}

/** What DescribeSpace, ListApps and DescribeApp say of a space, as far as enabling goes. */
export interface ISpaceState {
  info: ISpaceInfo;
  spaceCreated?: Date;
  spaceModified?: Date;
  /** The running app's creation time. */
  appCreated?: Date;
  /** `SpaceSettings.<AppType>AppSettings.DefaultResourceSpec.InstanceType`: what the next start runs on. */
  defaultInstanceType?: string;
}

export interface IEnablePlan {
  /** UpdateSpace RemoteAccess=ENABLED. */
  update: boolean;
  /** DeleteApp, then CreateApp of the same type, name and ResourceSpec. */
  restart: boolean;
  /** The new app's instance type, when it changes. */
  instanceType?: string;
  /** What to tell when there is no restart. */
  note?: string;
}

export const isTooSmall = (instanceType: string | undefined): boolean =>
  instanceType !== undefined && TOO_SMALL_INSTANCE_TYPES.includes(instanceType);

const tooSmall = (name: string, what: string, instanceType: string) =>
  new UsageError(
    `${name}: ${what} ${instanceType}, which has less than the 8 GiB of memory remote access needs`,
    `pass --instance-type ${SUGGESTED_INSTANCE_TYPE} (or larger) to recreate the app on an instance that has`
  );

/** The steps enabling takes, or the refusal, from the space's state alone. */
export function planEnable(
  state: ISpaceState,
  options: Pick<IEnableOptions, 'instanceType' | 'restart'> = {}
): IEnablePlan {
  const { info } = state;
  const name = spaceTargetName(info.domainId, info.spaceName);
  if (
    info.appType !== undefined &&
    !(REMOTE_ACCESS_APP_TYPES as readonly string[]).includes(info.appType)
  ) {
    throw new UsageError(
      `${name} is a ${info.appType} space; remote access serves JupyterLab and Code Editor spaces only`,
      'create a JupyterLab or Code Editor space for remote access'
    );
  }
  if (info.status === 'Failed' || info.status === 'Deleting') {
    throw new OperationError(
      `${name} is ${info.status}`,
      'see the space in SageMaker Studio (Spaces); a Failed space shows why'
    );
  }
  const update = info.remoteAccess !== 'ENABLED';
  const app =
    info.app &&
    (info.app.status === 'InService' || info.app.status === 'Pending')
      ? info.app
      : undefined;
  if (!app) {
    if (options.instanceType) {
      throw new UsageError(
        `--instance-type recreates a running app, and ${name} has none`,
        'leave --instance-type out, and choose the instance type when you start the space in Studio'
      );
    }
    const small = isTooSmall(state.defaultInstanceType)
      ? ` (on at least 8 GiB: its default ${state.defaultInstanceType} is too small)`
      : '';
    return {
      update,
      restart: false,
      note: update
        ? `no app is running: the next start of the space gets remote access${small}`
        : `remote access is already on and no app is running: start the space in Studio (Run space)${small}, then connect`
    };
  }
  const instanceType = options.instanceType ?? app.instanceType;
  if (isTooSmall(instanceType)) {
    throw tooSmall(
      name,
      options.instanceType ? 'the instance type' : 'its app runs on',
      instanceType as string
    );
  }
  // a running app keeps the setting it started with: one created before the space's last update may predate it
  const predates =
    state.appCreated !== undefined &&
    state.spaceModified !== undefined &&
    state.appCreated < state.spaceModified &&
    (state.spaceCreated === undefined ||
      state.spaceModified.getTime() - state.spaceCreated.getTime() >
        CREATION_SETTLES_MS);
  const changesType =
    options.instanceType !== undefined &&
    options.instanceType !== app.instanceType;
  const restart = update || predates || changesType || options.restart === true;
  return {
    update,
    restart,
    instanceType: changesType ? options.instanceType : undefined,
    note: restart
      ? undefined
      : 'remote access is already on and the app started with it: nothing to do (--restart restarts it anyway)'
  };
}

/** Polls `check` with backoff (1 s, ×1.5, at most 10 s) until it returns a value or the deadline passes. */
async function waitUntil<T>(
  what: string,
  deadline: number,
  sleep: (ms: number) => Promise<void>,
  check: () => Promise<T | undefined>
): Promise<T> {
  let delay = 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() + delay > deadline) {
      throw new OperationError(
        `timed out waiting for ${what}`,
        'see the space in SageMaker Studio; running enable-remote-access again carries on from where it stopped'
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 10_000);
  }
}

const defaultSleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, ms));

/** ResourceSpec members CreateApp takes back (DescribeApp may add environment ARNs, which CreateApp refuses). */
function reusableSpec(
  spec: ResourceSpec | undefined,
  instanceType: string | undefined
): ResourceSpec | undefined {
  const kept: ResourceSpec = {
    // a type SageMaker does not know is its ValidationException to tell, not ours
    InstanceType:
      (instanceType as AppInstanceType | undefined) ?? spec?.InstanceType,
    SageMakerImageArn: spec?.SageMakerImageArn,
    SageMakerImageVersionArn: spec?.SageMakerImageVersionArn,
    SageMakerImageVersionAlias: spec?.SageMakerImageVersionAlias,
    LifecycleConfigArn: spec?.LifecycleConfigArn
  };
  const defined = Object.fromEntries(
    Object.entries(kept).filter(([, value]) => value !== undefined)
  ) as ResourceSpec;
  return Object.keys(defined).length > 0 ? defined : undefined;
}

function defaultInstanceTypeOf(
  described: DescribeSpaceCommandOutput
): string | undefined {
  const settings = described.SpaceSettings;
  const spec =
    settings?.AppType === 'CodeEditor'
      ? settings.CodeEditorAppSettings?.DefaultResourceSpec
      : settings?.JupyterLabAppSettings?.DefaultResourceSpec;
  return spec?.InstanceType;
}

/** DescribeSpace and ListApps of one space (undefined: no such space). */
async function readState(
  clients: AwsClients,
  domainId: string,
  spaceName: string
): Promise<ISpaceState | undefined> {
  const reading = await readSpace(clients, domainId, spaceName);
  if (!reading) {
    return undefined;
  }
  const { described, info } = reading;
  const app = reading.apps.find(
    candidate =>
      candidate.AppName === info.app?.appName &&
      candidate.AppType === info.app?.appType &&
      candidate.Status === info.app?.status
  );
  return {
    info,
    spaceCreated: described.CreationTime,
    spaceModified: described.LastModifiedTime,
    appCreated: app?.CreationTime,
    defaultInstanceType: defaultInstanceTypeOf(described)
  };
}

/**
 * Turns remote access on for a space and restarts its app so that it takes effect; resolves to the space as it
 * is then. @throws UsageError for a target that is not a space, an unknown space or a refusal (planEnable);
 * OperationError when AWS refuses or a wait times out.
 */
export async function enableRemoteAccess(
  clients: AwsClients,
  target: string,
  options: IEnableOptions = {}
): Promise<ISpaceInfo> {
  const { domainId, spaceName } = enableTargetSpace(target, clients.region);
  const name = spaceTargetName(domainId, spaceName);
  const step = options.onStep ?? (() => undefined);
  const sleep = options.sleep ?? defaultSleep;
  const deadline = Date.now() + (options.timeoutMs ?? ENABLE_TIMEOUT_MS);
  const state = await readState(clients, domainId, spaceName);
  if (!state) {
    throw new UsageError(
      `there is no space ${spaceName} in domain ${domainId} (${clients.region})`,
      'check the name and the region (sm-ssh list --kind space shows the spaces)'
    );
  }
  const plan = planEnable(state, options);
  if (plan.restart && state.info.app && options.confirmRestart) {
    const go = await options.confirmRestart({
      space: name,
      appType: state.info.app.appType,
      appName: state.info.app.appName
    });
    if (!go) {
      throw new OperationError(
        `cancelled: nothing was changed on ${name}`,
        'save your work in the app, then run this again'
      );
    }
  }
  const sdk = sagemakerSdk();
  const sagemaker = clients.sagemaker();
  const call = async <T>(doing: string, work: () => Promise<T>) =>
    work().catch((error: unknown) => {
      throw describeAwsError(error, doing);
    });
  const spaceInService = () =>
    waitUntil(`${name} to be InService`, deadline, sleep, async () => {
      const described = await call(`describing space ${spaceName}`, () =>
        sagemaker.send(
          new sdk.DescribeSpaceCommand({
            DomainId: domainId,
            SpaceName: spaceName
          })
        )
      );
      if (described.Status === 'Failed' || described.Status === 'Deleting') {
        throw new OperationError(
          `${name} became ${described.Status}${described.FailureReason ? `: ${described.FailureReason}` : ''}`,
          'see the space in SageMaker Studio (Spaces)'
        );
      }
      return described.Status === 'InService' ? true : undefined;
    });
  if (plan.update) {
    if (state.info.status !== 'InService') {
      step(`waiting for ${name} to be InService (it is ${state.info.status})`);
      await spaceInService();
    }
    step(`turning remote access on (UpdateSpace ${spaceName})`);
    // Only RemoteAccess is sent: UpdateSpace merges SpaceSettings members into the space's (AWS's own toolkit
    // sends exactly this, and the space keeps its AppType and app settings), so nothing else is re-sent or reset.
    await call(`updating space ${spaceName}`, () =>
      sagemaker.send(
        new sdk.UpdateSpaceCommand({
          DomainId: domainId,
          SpaceName: spaceName,
          SpaceSettings: { RemoteAccess: 'ENABLED' }
        })
      )
    );
    await spaceInService();
    step(`remote access is on for ${name}`);
  }
  const app = state.info.app;
  if (plan.restart && app) {
    const address = {
      DomainId: domainId,
      SpaceName: spaceName,
      AppType: app.appType as AppType,
      AppName: app.appName
    };
    const describeApp = () =>
      sagemaker.send(new sdk.DescribeAppCommand(address)).catch(error => {
        if (isNotFound(error)) {
          return { Status: 'Deleted' as const, ResourceSpec: undefined };
        }
        throw describeAwsError(error, `describing app ${app.appName}`);
      });
    const label = `${app.appType}/${app.appName}`;
    let current = await describeApp();
    if (current.Status === 'Pending') {
      step(`waiting for app ${label} to finish starting`);
      current = await waitUntil(
        `app ${label} to start`,
        deadline,
        sleep,
        async () => {
          const answer = await describeApp();
          return answer.Status === 'Pending' ? undefined : answer;
        }
      );
    }
    const spec = reusableSpec(current.ResourceSpec, plan.instanceType);
    if (current.Status !== 'Deleted' && current.Status !== 'Deleting') {
      step(`stopping app ${label} (DeleteApp; unsaved work in it is lost)`);
      await call(`deleting app ${app.appName}`, () =>
        sagemaker.send(new sdk.DeleteAppCommand(address))
      );
    }
    await waitUntil(`app ${label} to be deleted`, deadline, sleep, async () =>
      (await describeApp()).Status === 'Deleted' ? true : undefined
    );
    step(`app ${label} is Deleted`);
    step(
      `starting app ${label}${spec?.InstanceType ? ` on ${spec.InstanceType}` : ''} (CreateApp)`
    );
    await call(`creating app ${app.appName}`, () =>
      sagemaker.send(
        new sdk.CreateAppCommand({ ...address, ResourceSpec: spec })
      )
    );
    await waitUntil(
      `app ${label} to be InService`,
      deadline,
      sleep,
      async () => {
        const answer = await describeApp();
        if (answer.Status === 'Failed') {
          throw new OperationError(
            `app ${label} of ${name} failed to start${'FailureReason' in answer && answer.FailureReason ? `: ${answer.FailureReason}` : ''}`,
            'see the space in SageMaker Studio; remote access stays on for its next start'
          );
        }
        return answer.Status === 'InService' ? true : undefined;
      }
    );
    step(`app ${label} is InService with remote access`);
  } else if (plan.note) {
    step(plan.note);
  }
  const after = await describeSpace(clients, domainId, spaceName);
  if (!after) {
    throw new OperationError(
      `${name} disappeared while enabling remote access`
    );
  }
  return after;
}
