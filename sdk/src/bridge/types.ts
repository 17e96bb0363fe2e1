/**
 * The bridge API of `sm-ssh serve` (what the JupyterLab panel calls under `<base_url>/sm-ssh/api/…`): request and
 * response bodies as plain JSON types. Self-contained on purpose: the extension in `src/` imports this file as types
 * only (`import type`), so it must not pull in Node or AWS SDK declarations. The bridge checks at compile time that
 * the SDK's own records are assignable to these.
 *
 * Routes (all JSON; errors are `IBridgeError` with a 4xx/5xx status):
 * - `GET  /`                      readiness probe of jupyter-server-proxy (200 `{ok: true}`)
 * - `GET  /api/info`              `IBridgeInfo`
 * - `GET  /api/targets`           `ITargetsResponse` (`?refresh=1` skips the cache)
 * - `GET  /api/setup/check`       `ISetupCheckResponse`
 * - `GET  /api/tunnels`           `ITunnelsResponse`
 * - `POST /api/tunnels`           body `IStartTunnelRequest` → 201 `IBridgeTunnel`
 * - `DELETE /api/tunnels/<id>`    204
 * - `GET  /api/events` (WebSocket) server → client `BridgeEvent` messages, one JSON object per text frame
 *
 * Added by the bridge:
 * - `GET  /api/tunnels/<id>`      `IBridgeTunnel` (404 when unknown)
 * - `?region=us-east-1&profile=name` on every `/api/` route (and the WebSocket) picks the AWS clients
 * - `?mine=1` on `/api/targets`: only the caller's targets
 * - `IStartTunnelRequest.timeoutSeconds`: how long to wait for the target to come Online (default 0, at most 900)
 * - `POST /api/spaces/remote-access` body `IEnableRemoteAccessRequest` → 202 `ISpaceOperation`: turns remote access
 *   on for a Studio space and restarts its app (unsaved work in it is lost: the panel asks first). It runs in the
 *   background; `space-operation` events report its progress, and `GET /api/spaces/remote-access/<target>` its
 *   state (404 when none was started). A second request for the same space while one runs: 409.
 * - `POST /api/jobs/release` body `IReleaseJobRequest` → 200 `IBridgeReleaseReport`: ends the wait of a job launched
 *   with SSH (`sm-ssh job release`): every SSH node, or one. A node that could not take it is `failed` in the report
 *   (still 200). The targets are listed again after it, so the job's new phase goes out as target events.
 * - `IBridgeTarget.job`: the state of a job launched with SSH. A job the bridge saw with `job` whose target then
 *   leaves the listing (its instances deregister when it ends) stays listed for an hour as `phase: 'finished'`, with
 *   SageMaker's final status, `ping: 'NotFound'` and no instances.
 *
 * State-changing requests (POST, PUT, PATCH, DELETE) need an `X-XSRFToken` header equal to the `_xsrf` cookie;
 * WebSocket upgrades need an Origin of the same host as the request (or none).
 */

/** The kinds of target (same words as the SDK's `TargetKind`). */
export type BridgeTargetKind =
  | 'training'
  | 'processing'
  | 'transform'
  | 'inference'
  | 'notebook'
  | 'studio'
  | 'space';

/** Every error body: what was wrong and how to fix it. */
export interface IBridgeError {
  error: string;
  hint?: string;
  /** A stable word for the client to branch on. */
  code?:
    | 'bad-request'
    | 'not-found'
    | 'forbidden'
    | 'no-credentials'
    | 'access-denied'
    | 'conflict'
    | 'failed';
}

export interface IBridgeInfo {
  /** The SDK's version. */
  version: string;
  region: string;
  /** The caller's ARN as STS reports it, when it could be asked. */
  caller?: string;
  /** The caller's UserId (what SSHOwner holds). */
  userId?: string;
  /** Whether the bridge runs in a SageMaker Studio space (resource-metadata.json was found). */
  studio: boolean;
  /** The argv that runs this same `sm-ssh` (node + script), for terminals: append `connect <target>`. */
  smSshCommand: string[];
  /** The same, quoted for a POSIX shell. */
  smSshShellCommand: string;
  /** The user `connect` logs in as by default, per kind (root; sagemaker-user for spaces). */
  defaultUsers: Partial<Record<BridgeTargetKind, string>>;
  /** The private key `connect` and `proxy` use (created on first use), for an OpenSSH command line. */
  identityFile: string;
  /** The known_hosts file where host keys are pinned. */
  knownHostsFile: string;
}

/** Where a job launched with SSH is (the same words as the SDK's `JobSshPhase`). */
export type BridgeJobPhase = 'starting' | 'waiting' | 'running' | 'finished';

/** The state of a job launched with SSH (the SDK's `IJobSshState`, and what the bridge adds to it). */
export interface IBridgeJobState {
  /**
   * `starting` before its wrapper has said anything, `waiting` while it waits for a connection, `running` once its
   * own command runs, `finished` when the job has ended.
   */
  phase: BridgeJobPhase;
  /** How long the job waits for a connection before its own command starts (0: no wait). */
  waitSeconds: number;
  /** How many nodes, from the first, have SSH. */
  sshNodes: number;
  /** Epoch seconds at which the wait ends by itself, while `waiting`. */
  waitEndsAt?: number;
  /** Added by the bridge for a finished job it keeps: SageMaker's FailureReason, when the job failed. */
  failureReason?: string;
  /** Added by the bridge for a finished job it keeps: epoch seconds of the job's end, when SageMaker says. */
  endedAt?: number;
}

/** One target (the same fields as `sm-ssh list --json`). */
export interface IBridgeTarget {
  target: string;
  kind: BridgeTargetKind;
  status: string;
  ping: string;
  nodes: number;
  owner: string;
  mine: boolean;
  ageSeconds?: number;
  instances: string[];
  resourceArn?: string;
  /** How `connect` reaches it: an SSM managed instance, or SageMaker remote access (Studio spaces). */
  via: 'ssm-instance' | 'remote-access';
  /** Spaces: remote access on or off (`ping` is `Online` when it can reach the space now, else `Offline`). */
  remoteAccess?: 'ENABLED' | 'DISABLED';
  /** Spaces: `JupyterLab` or `CodeEditor`. */
  appType?: string;
  /** Spaces: the status of the space's app, or `None` when none runs. */
  appStatus?: string;
  /** Training and processing jobs launched with SSH: where the job is (waiting for a connection, running, …). */
  job?: IBridgeJobState;
}

export interface ITargetsResponse {
  targets: IBridgeTarget[];
  /** What the listing had to leave out and why (e.g. a permission the caller lacks). */
  warnings: string[];
  /** Epoch milliseconds of the listing. */
  listedAt: number;
}

export type BridgeCheckStatus = 'OK' | 'MISSING' | 'WARNING';

export interface IBridgePolicyStatement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  /**
   * Added by the bridge: values may also be numbers and booleans (IAM accepts them, and the SDK's IPolicyStatement
   * allows them), so the SDK's report is assignable to this type.
   */
  Condition?: Record<
    string,
    Record<string, string | number | boolean | Array<string | number | boolean>>
  >;
  Principal?: unknown;
}

export interface IBridgeCheckItem {
  id: string;
  group: string;
  title: string;
  status: BridgeCheckStatus;
  subject: string;
  reasons: string[];
  fix?: { policyName: string; statement: IBridgePolicyStatement };
  command?: string;
  note?: string;
}

/** The report of `sm-ssh setup check --json`. */
export interface IBridgeCheckReport {
  ok: boolean;
  account: string;
  sagemakerRole?: string;
  userRole?: string;
  regions: string[];
  evaluator: string;
  evaluatorNote?: string;
  items: IBridgeCheckItem[];
  summary: { ok: number; missing: number; warnings: number };
}

export interface ISetupCheckResponse {
  report: IBridgeCheckReport;
  /** The command that applies every fix, e.g. `sm-ssh setup apply --studio --sagemaker-role …`. */
  applyCommand: string;
  /** The command that printed this report. */
  checkCommand: string;
}

export interface IStartTunnelRequest {
  target: string;
  /** 1-based node of a multi-node job (default 1). */
  node?: number;
  /** Port on the Jupyter server host; 0 or absent picks a free one. */
  localPort?: number;
  /** Host as the instance sees it (default localhost). */
  remoteHost?: string;
  remotePort: number;
  /** Include other users' targets (the CLI's --any-owner). */
  anyOwner?: boolean;
  /** Added by the bridge: seconds to wait for the target to come Online (default 0: fail at once; at most 900). */
  timeoutSeconds?: number;
}

export interface IEnableRemoteAccessRequest {
  /** A space target, `<space>.<domain-id>.space.sagemaker`. */
  target: string;
  /** Must be true: the caller has been told that restarting the app loses unsaved work. */
  confirmRestart: boolean;
}

export interface IReleaseJobRequest {
  /** A training or processing job launched with SSH, e.g. `my-job.training.sagemaker`. */
  target: string;
  /** 1-based node to release; absent: every SSH node. */
  node?: number;
  /** Added by the bridge: another user's job (the CLI's --any-owner; IAM still decides). */
  anyOwner?: boolean;
}

/** How a node took a release (the SDK's `ReleaseResult`). */
export type BridgeReleaseResult =
  'released' | 'already-released' | 'not-waiting' | 'failed';

export interface IBridgeNodeRelease {
  /** 1-based. */
  node: number;
  instanceId: string;
  result: BridgeReleaseResult;
  /** What the node said, or why it failed. */
  detail?: string;
}

/** The answer of `POST /api/jobs/release` (the SDK's `IReleaseReport`, `sm-ssh job release --json`). */
export interface IBridgeReleaseReport {
  target: string;
  nodes: IBridgeNodeRelease[];
}

export type SpaceOperationState = 'running' | 'done' | 'failed';

export interface ISpaceOperation {
  target: string;
  state: SpaceOperationState;
  /** The step under way or last done, for the panel (e.g. `restarting the JupyterLab app`). */
  step: string;
  /** Epoch milliseconds. */
  startedAt: number;
  finishedAt?: number;
  /** Why it failed, and the fix. */
  error?: string;
  hint?: string;
}

export type TunnelState = 'starting' | 'up' | 'failed' | 'closed';

export interface IBridgeTunnel {
  id: string;
  target: string;
  node: number;
  /** The managed instance the tunnel goes through. */
  instanceId?: string;
  /** Added by the bridge: the Session Manager session its SSH connection runs over (shared by the target's tunnels). */
  sessionId?: string;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  state: TunnelState;
  /** Bytes from local clients to the remote port. */
  bytesOut: number;
  /** Bytes from the remote port to local clients. */
  bytesIn: number;
  /** Local connections open now / since the start. */
  connections: number;
  totalConnections: number;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Why it failed or closed, when it did. */
  error?: string;
}

export interface ITunnelsResponse {
  tunnels: IBridgeTunnel[];
}

export type BridgeEvent =
  | { type: 'hello'; version: string }
  | { type: 'targets'; targets: IBridgeTarget[]; warnings: string[] }
  | {
      type: 'target-status';
      target: string;
      status: string;
      ping: string;
      previousStatus?: string;
      previousPing?: string;
    }
  | { type: 'target-added'; target: IBridgeTarget }
  /** Added by the bridge: a target's other fields changed (nodes, instances, owner); the full record. */
  | { type: 'target-updated'; target: IBridgeTarget }
  | { type: 'target-removed'; target: string }
  | { type: 'tunnel'; tunnel: IBridgeTunnel }
  /** Added for spaces: progress of an enable-remote-access operation. */
  | { type: 'space-operation'; operation: ISpaceOperation }
  | { type: 'tunnel-closed'; id: string; error?: string }
  | {
      type: 'error';
      error: string;
      hint?: string;
      code?: IBridgeError['code'];
    };
