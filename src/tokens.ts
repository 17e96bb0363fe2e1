/**
 * The extension's interfaces and constants: what the plugins share (the model token), the settings, the command
 * ids (a contract: other extensions and the UI tests call them) and the kinds of target in the order the panel
 * shows them. The bridge API's bodies come from the SDK as types only.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { SmSshModel } from './model';
import type {
  BridgeJobPhase,
  BridgeTargetKind,
  IBridgeInfo,
  IBridgeJobState,
  IBridgeReleaseReport,
  IBridgeTarget,
  IBridgeTunnel,
  ISetupCheckResponse,
  ISpaceOperation,
  IStartTunnelRequest,
  ITargetsResponse,
  ITunnelsResponse,
  BridgeEvent
} from 'sagemaker-ssh/dist/bridge/types';

export type {
  BridgeEvent,
  BridgeJobPhase,
  BridgeTargetKind,
  IBridgeInfo,
  IBridgeJobState,
  IBridgeReleaseReport,
  IBridgeTarget,
  IBridgeTunnel,
  ISetupCheckResponse,
  ISpaceOperation,
  IStartTunnelRequest,
  ITargetsResponse,
  ITunnelsResponse
};

/** The id of the main plugin, which owns `schema/plugin.json`. */
export const PLUGIN_ID = 'sagemaker-ssh-jupyterlab:plugin';

/** The palette category of every command. */
export const COMMAND_CATEGORY = 'SageMaker SSH';

export namespace CommandIDs {
  export const openPanel = 'sm-ssh:open-panel';
  export const connect = 'sm-ssh:connect';
  export const checkSetup = 'sm-ssh:check-setup';
  export const forwardPort = 'sm-ssh:forward-port';
  export const closeTunnel = 'sm-ssh:close-tunnel';
  export const refresh = 'sm-ssh:refresh';
  export const enableRemoteAccess = 'sm-ssh:enable-remote-access';
  export const releaseJob = 'sm-ssh:release-job';
}

/** The kinds in the order the panel groups them. */
export const KIND_ORDER: readonly BridgeTargetKind[] = [
  'training',
  'processing',
  'transform',
  'inference',
  'notebook',
  'studio',
  'space'
];

/** The heading of each group (translated where shown). */
export const KIND_LABELS: Readonly<Record<BridgeTargetKind, string>> = {
  training: 'Training jobs',
  processing: 'Processing jobs',
  transform: 'Transform jobs',
  inference: 'Endpoints',
  notebook: 'Notebook instances',
  studio: 'Studio apps',
  space: 'Studio spaces'
};

/** The settings of `schema/plugin.json`, read into their types. */
export interface ISmSshSettings {
  /** AWS region; '' = the Jupyter server's default. */
  region: string;
  /** AWS profile; '' = the default chain. */
  profile: string;
  /** Login user for terminals and the ssh command; '' = the kind's default. */
  defaultUser: string;
  /** `-L` specs opened with every terminal, e.g. `8888:localhost:8888`. */
  extraForwards: string[];
  /** Seconds between listings while no event stream is connected. */
  refreshInterval: number;
  /** Whether targets of other users are listed too. */
  showOtherUsers: boolean;
}

/** The calls of the bridge API the model and the commands make. */
export interface IBridgeClient {
  info(): Promise<IBridgeInfo>;
  targets(options?: { refresh?: boolean }): Promise<ITargetsResponse>;
  setupCheck(): Promise<ISetupCheckResponse>;
  tunnels(): Promise<ITunnelsResponse>;
  startTunnel(request: IStartTunnelRequest): Promise<IBridgeTunnel>;
  closeTunnel(id: string): Promise<void>;
  /** Turns remote access on for a space (its app restarts: ask the user first). */
  enableRemoteAccess(target: string): Promise<ISpaceOperation>;
  /** The state of the last enable-remote-access operation on a space. */
  spaceOperation(target: string): Promise<ISpaceOperation>;
  /** Ends the wait of a job launched with SSH: every SSH node, or `node` only; `anyOwner` for another user's. */
  releaseJob(
    target: string,
    options?: { node?: number; anyOwner?: boolean }
  ): Promise<IBridgeReleaseReport>;
}

/** A target group as the panel shows it. */
export interface ITargetGroup {
  kind: BridgeTargetKind;
  label: string;
  targets: IBridgeTarget[];
}

/** The event stream the model listens to (a WebSocket in the browser). */
export interface IEventSource {
  readonly message: ISignal<IEventSource, BridgeEvent>;
  readonly connectionChanged: ISignal<IEventSource, boolean>;
  readonly isConnected: boolean;
}

/** What the main plugin provides to the other plugins of the extension. */
export interface ISmSshExtension {
  readonly model: SmSshModel;
  readonly client: IBridgeClient;
  readonly settings: Readonly<ISmSshSettings>;
  readonly settingsChanged: ISignal<ISmSshExtension, ISmSshSettings>;
}

export const ISmSshExtension = new Token<ISmSshExtension>(
  'sagemaker-ssh-jupyterlab:ISmSshExtension',
  'The SageMaker SSH model, bridge client and settings.'
);
