/**
 * The panel's state, without DOM: the bridge's info, the targets (filtered and grouped by kind in KIND_ORDER),
 * the tunnels, the spaces' enable-remote-access operations, the releases of jobs asked for here, loading and error
 * state. It applies the bridge's events and, while no event stream is connected,
 * lists again every `refreshInterval` seconds (and reads live tunnels every 2 s). Views listen to `changed`.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { BridgeError } from './request';
import {
  KIND_LABELS,
  KIND_ORDER,
  type BridgeEvent,
  type IBridgeClient,
  type IBridgeInfo,
  type IBridgeReleaseReport,
  type IBridgeTarget,
  type IBridgeTunnel,
  type IEventSource,
  type ISpaceOperation,
  type ITargetGroup
} from './tokens';

/** How often live tunnels are read while no event stream is connected. */
export const TUNNEL_POLL_MS = 2000;

/** Tunnel states that count as live (the status bar's number). */
export function isLiveTunnel(tunnel: IBridgeTunnel): boolean {
  return tunnel.state === 'up' || tunnel.state === 'starting';
}

/** Whether remote access is off on a space (its terminal and forwards cannot work until it is enabled). */
export function remoteAccessOff(target: IBridgeTarget): boolean {
  return target.via === 'remote-access' && target.remoteAccess !== 'ENABLED';
}

/** Whether a job launched with SSH waits for a connection (its Release action applies). */
export function isWaitingJob(target: IBridgeTarget): boolean {
  return target.job?.phase === 'waiting';
}

/** Whether a job launched with SSH has ended (nothing to connect to any more). */
export function isFinishedJob(target: IBridgeTarget): boolean {
  return target.job?.phase === 'finished';
}

/** A release of a job asked for in this panel: under way, or answered (until the job's phase moves on). */
export interface IJobRelease {
  state: 'releasing' | 'released';
  /** Epoch milliseconds of the request. */
  at: number;
  report?: IBridgeReleaseReport;
}

/**
 * Whether every word of `filter` occurs in the target's name, kind, status, owner, app type or job phase
 * (case-insensitive).
 */
export function matchesFilter(target: IBridgeTarget, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const haystack = [
    target.target,
    target.kind,
    KIND_LABELS[target.kind] ?? '',
    target.status,
    target.owner,
    target.appType ?? '',
    target.job?.phase ?? ''
  ]
    .join(' ')
    .toLowerCase();
  return words.every(word => haystack.includes(word));
}

/** Targets grouped by kind in KIND_ORDER (unknown kinds last), each group sorted by name; empty groups left out. */
export function groupTargets(
  targets: readonly IBridgeTarget[]
): ITargetGroup[] {
  const byKind = new Map<string, IBridgeTarget[]>();
  for (const target of targets) {
    const list = byKind.get(target.kind) ?? [];
    list.push(target);
    byKind.set(target.kind, list);
  }
  const kinds = [
    ...KIND_ORDER.filter(kind => byKind.has(kind)),
    ...[...byKind.keys()]
      .filter(kind => !(KIND_ORDER as readonly string[]).includes(kind))
      .sort()
  ] as IBridgeTarget['kind'][];
  return kinds.map(kind => ({
    kind,
    label: KIND_LABELS[kind] ?? kind,
    targets: (byKind.get(kind) ?? [])
      .slice()
      .sort((a, b) => a.target.localeCompare(b.target))
  }));
}

export namespace SmSshModel {
  export interface IOptions {
    client: IBridgeClient;
    /** The bridge's event stream; without one, the model only polls. */
    events?: IEventSource;
    /** Seconds between listings while no stream is connected (default 30). */
    refreshInterval?: number;
    showOtherUsers?: boolean;
  }
}

export class SmSshModel implements IDisposable {
  constructor(options: SmSshModel.IOptions) {
    this._client = options.client;
    this._events = options.events ?? null;
    this._refreshInterval = options.refreshInterval ?? 30;
    this._showOtherUsers = options.showOtherUsers ?? false;
    if (this._events) {
      this._events.message.connect(this._onEvent, this);
      this._events.connectionChanged.connect(this._onConnection, this);
    }
  }

  /** Emitted after any change of state. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get info(): IBridgeInfo | null {
    return this._info;
  }

  /** Every target of the last listing (before the filters). */
  get targets(): readonly IBridgeTarget[] {
    return this._targets;
  }

  get warnings(): readonly string[] {
    return this._warnings;
  }

  /** Whether a listing is in flight. */
  get loading(): boolean {
    return this._loading;
  }

  /** Whether a listing (or a targets event) arrived since the start or the last scope change. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** The failure of the last listing, cleared by the next success. */
  get error(): BridgeError | null {
    return this._error;
  }

  get eventsConnected(): boolean {
    return this._events?.isConnected ?? false;
  }

  get filter(): string {
    return this._filter;
  }

  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._emit();
    }
  }

  get showOtherUsers(): boolean {
    return this._showOtherUsers;
  }

  set showOtherUsers(value: boolean) {
    if (value !== this._showOtherUsers) {
      this._showOtherUsers = value;
      this._emit();
    }
  }

  get refreshInterval(): number {
    return this._refreshInterval;
  }

  set refreshInterval(seconds: number) {
    if (seconds !== this._refreshInterval && seconds > 0) {
      this._refreshInterval = seconds;
      if (this._started) {
        this._schedulePoll();
      }
    }
  }

  /** The targets the filters let through. */
  get visibleTargets(): IBridgeTarget[] {
    return this._targets.filter(
      target =>
        (this._showOtherUsers || target.mine) &&
        matchesFilter(target, this._filter)
    );
  }

  /** The visible targets grouped by kind, in KIND_ORDER. */
  get groups(): ITargetGroup[] {
    return groupTargets(this.visibleTargets);
  }

  /** How many targets of other users the owner filter hides. */
  get hiddenByOwner(): number {
    return this._showOtherUsers
      ? 0
      : this._targets.filter(target => !target.mine).length;
  }

  /** The tunnels, oldest first. */
  get tunnels(): IBridgeTunnel[] {
    return [...this._tunnels.values()].sort(
      (a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id)
    );
  }

  get liveTunnelCount(): number {
    let count = 0;
    for (const tunnel of this._tunnels.values()) {
      if (isLiveTunnel(tunnel)) {
        count += 1;
      }
    }
    return count;
  }

  /** The last enable-remote-access operation on a space seen by this panel (running or ended). */
  spaceOperation(target: string): ISpaceOperation | undefined {
    return this._spaceOperations.get(target);
  }

  /** Records an operation's state (the answer of the POST or GET, before or without its event). */
  setSpaceOperation(operation: ISpaceOperation): void {
    if (this._keepOperation(operation)) {
      this._emit();
    }
  }

  /** Forgets the operation of a space (its failure dismissed). */
  clearSpaceOperation(target: string): void {
    if (this._spaceOperations.delete(target)) {
      this._emit();
    }
  }

  /** The release of a job asked for in this panel, while it is under way or its answer is the latest news. */
  jobRelease(target: string): IJobRelease | undefined {
    return this._jobReleases.get(target);
  }

  /** Records (or, with undefined, forgets) the release of a job. */
  setJobRelease(target: string, release: IJobRelease | undefined): void {
    if (release) {
      this._jobReleases.set(target, release);
    } else if (!this._jobReleases.delete(target)) {
      return;
    }
    this._emit();
  }

  findTarget(name: string): IBridgeTarget | undefined {
    return this._targets.find(target => target.target === name);
  }

  /** Lists once now and keeps the list fresh (by events, else by polling). */
  start(): void {
    if (this._started || this._disposed) {
      return;
    }
    this._started = true;
    this._schedulePoll();
    void this.refresh();
  }

  /**
   * Reads info, targets and tunnels again. Concurrent calls share one round; `force` asks the bridge to skip
   * its cache.
   */
  refresh(options: { force?: boolean } = {}): Promise<void> {
    if (this._pending) {
      this._again = this._again || options.force === true;
      return this._pending;
    }
    const round: Promise<void> = this._refresh(options.force === true).finally(
      () => {
        if (this._pending !== round) {
          return;
        }
        this._pending = null;
        if (this._again && !this._disposed) {
          this._again = false;
          void this.refresh({ force: true });
        }
      }
    );
    this._pending = round;
    return round;
  }

  /**
   * Forgets what was listed (the region or profile changed) and lists again; results of rounds started before
   * are dropped.
   */
  reset(): Promise<void> {
    this._generation += 1;
    this._info = null;
    this._targets = [];
    this._warnings = [];
    this._tunnels.clear();
    this._spaceOperations.clear();
    this._jobReleases.clear();
    this._loaded = false;
    this._error = null;
    this._pending = null;
    this._again = false;
    this._emit();
    return this.refresh({ force: true });
  }

  /** Applies one event of the bridge's stream. */
  applyEvent(event: BridgeEvent): void {
    switch (event.type) {
      case 'hello':
        return;
      case 'targets':
        this._targets = [...event.targets];
        this._warnings = [...event.warnings];
        this._loaded = true;
        this._error = null;
        break;
      case 'target-added':
        this._targets = [
          ...this._targets.filter(t => t.target !== event.target.target),
          event.target
        ];
        break;
      case 'target-removed':
        this._targets = this._targets.filter(t => t.target !== event.target);
        break;
      case 'target-status': {
        const index = this._targets.findIndex(t => t.target === event.target);
        if (index < 0) {
          return;
        }
        const next = [...this._targets];
        next[index] = {
          ...next[index],
          status: event.status,
          ping: event.ping
        };
        this._targets = next;
        break;
      }
      case 'tunnel':
        this._tunnels.set(event.tunnel.id, event.tunnel);
        break;
      case 'tunnel-closed':
        if (!this._tunnels.delete(event.id)) {
          return;
        }
        break;
      case 'target-updated':
        if (!this.updateTarget(event.target)) {
          return;
        }
        break;
      case 'space-operation':
        if (!this._keepOperation(event.operation)) {
          return;
        }
        break;
      case 'error':
        // a failed listing of the bridge's poller; the body is an IBridgeError (its code too)
        this._error = new BridgeError(0, {
          error: event.error,
          hint: event.hint,
          code: event.code ?? 'failed'
        });
        break;
      default:
        // an event of a newer bridge
        return;
    }
    this._emit();
  }

  /** Replaces a target by a newer record of the same name; false when there is none. */
  private updateTarget(target: IBridgeTarget): boolean {
    const index = this._targets.findIndex(t => t.target === target.target);
    if (index < 0) {
      return false;
    }
    const next = [...this._targets];
    next[index] = target;
    this._targets = next;
    return true;
  }

  /** Keeps an operation's state unless an older report of the same operation (an ended one stays ended). */
  private _keepOperation(operation: ISpaceOperation): boolean {
    const known = this._spaceOperations.get(operation.target);
    if (
      known &&
      known.startedAt === operation.startedAt &&
      known.state !== 'running' &&
      operation.state === 'running'
    ) {
      return false;
    }
    if (known && known.startedAt > operation.startedAt) {
      return false;
    }
    this._spaceOperations.set(operation.target, operation);
    return true;
  }

  /** Records a tunnel (the answer of POST /api/tunnels, before its event arrives). */
  setTunnel(tunnel: IBridgeTunnel): void {
    this._tunnels.set(tunnel.id, tunnel);
    this._emit();
  }

  /** Forgets a tunnel (closed, or a failed one dismissed). */
  removeTunnel(id: string): void {
    if (this._tunnels.delete(id)) {
      this._emit();
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._stopPoll();
    Signal.clearData(this);
  }

  private async _refresh(force: boolean): Promise<void> {
    const generation = this._generation;
    this._loading = true;
    this._emit();
    const [info, targets, tunnels] = await Promise.all([
      Private.settle(
        this._info ? Promise.resolve(this._info) : this._client.info()
      ),
      Private.settle(this._client.targets({ refresh: force })),
      Private.settle(this._client.tunnels())
    ]);
    if (generation !== this._generation || this._disposed) {
      return;
    }
    this._loading = false;
    if (info.status === 'fulfilled') {
      this._info = info.value;
    }
    if (targets.status === 'fulfilled') {
      this._targets = [...targets.value.targets];
      this._warnings = [...targets.value.warnings];
      this._loaded = true;
      this._error = null;
    } else {
      this._error = Private.asBridgeError(targets.reason);
    }
    if (tunnels.status === 'fulfilled') {
      this._tunnels = new Map(
        tunnels.value.tunnels.map(tunnel => [tunnel.id, tunnel])
      );
    }
    this._emit();
  }

  private _onEvent(_: IEventSource, event: BridgeEvent): void {
    this.applyEvent(event);
  }

  private _onConnection(_: IEventSource, connected: boolean): void {
    // while connected, events keep the list fresh; a (re)connection may have missed some, so list once
    if (this._started) {
      this._schedulePoll();
      if (connected) {
        void this.refresh();
      }
    }
    this._emit();
  }

  private _schedulePoll(): void {
    this._stopPoll();
    if (this._disposed || this.eventsConnected) {
      return;
    }
    this._timer = setInterval(() => {
      if (!this.eventsConnected) {
        void this.refresh();
      }
    }, this._refreshInterval * 1000);
    // byte counts and states of live tunnels come with the stream; without it, ask often (no AWS call)
    this._tunnelTimer = setInterval(() => {
      if (!this.eventsConnected && this.liveTunnelCount > 0 && !this._pending) {
        void this._refreshTunnels();
      }
    }, TUNNEL_POLL_MS);
  }

  private async _refreshTunnels(): Promise<void> {
    const generation = this._generation;
    try {
      const { tunnels } = await this._client.tunnels();
      if (generation === this._generation && !this._disposed) {
        this._tunnels = new Map(tunnels.map(tunnel => [tunnel.id, tunnel]));
        this._emit();
      }
    } catch {
      // the next listing reports what is wrong
    }
  }

  private _stopPoll(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
    if (this._tunnelTimer !== null) {
      clearInterval(this._tunnelTimer);
      this._tunnelTimer = null;
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private readonly _client: IBridgeClient;
  private readonly _events: IEventSource | null;
  private _info: IBridgeInfo | null = null;
  private _targets: IBridgeTarget[] = [];
  private _warnings: string[] = [];
  private _tunnels = new Map<string, IBridgeTunnel>();
  private readonly _spaceOperations = new Map<string, ISpaceOperation>();
  private readonly _jobReleases = new Map<string, IJobRelease>();
  private _filter = '';
  private _showOtherUsers: boolean;
  private _refreshInterval: number;
  private _loading = false;
  private _loaded = false;
  private _error: BridgeError | null = null;
  private _pending: Promise<void> | null = null;
  private _again = false;
  private _generation = 0;
  private _started = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _tunnelTimer: ReturnType<typeof setInterval> | null = null;
  private readonly _changed = new Signal<this, void>(this);
}

namespace Private {
  export type Settled<T> =
    { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

  /** Promise.allSettled's shape for one promise (the lib is ES2018). */
  export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
    return promise.then(
      value => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => ({ status: 'rejected', reason }) as const
    );
  }

  export function asBridgeError(reason: unknown): BridgeError {
    if (reason instanceof BridgeError) {
      return reason;
    }
    return new BridgeError(0, {
      error: reason instanceof Error ? reason.message : String(reason),
      code: 'failed'
    });
  }
}
