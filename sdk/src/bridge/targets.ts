/**
 * The targets of `GET /api/targets` and of the event stream: listTargets cached a few seconds per AWS clients,
 * one listing at a time per clients (concurrent readers share it), a poller while someone watches, and the
 * differences between consecutive listings as events.
 */
import { EventEmitter } from 'node:events';
import type { AwsClients } from '../aws/clients.js';
import {
  listTargets,
  type IListOptions,
  type ITargetSummary
} from '../resolve/list.js';
import type { ClientPool, IClientChoice } from './clients.js';
import { toHttpError, type HttpError } from './errors.js';
import { FinishedJobs } from './jobs.js';
import type { BridgeEvent, IBridgeTarget, ITargetsResponse } from './types.js';

/** The SDK's record is the bridge's (the compiler checks that ITargetSummary fits IBridgeTarget). */
export function toBridgeTarget(summary: ITargetSummary): IBridgeTarget {
  return summary;
}

export type TargetLister = (
  clients: AwsClients,
  options: IListOptions
) => Promise<ITargetSummary[]>;

export type TargetDiffEvent = Extract<
  BridgeEvent,
  {
    type:
      'target-added' | 'target-removed' | 'target-status' | 'target-updated';
  }
>;

function sameJob(a: IBridgeTarget['job'], b: IBridgeTarget['job']): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.phase === b.phase &&
      a.waitSeconds === b.waitSeconds &&
      a.sshNodes === b.sshNodes &&
      a.waitEndsAt === b.waitEndsAt &&
      a.failureReason === b.failureReason &&
      a.endedAt === b.endedAt)
  );
}

function sameOtherFields(a: IBridgeTarget, b: IBridgeTarget): boolean {
  return (
    sameJob(a.job, b.job) &&
    a.nodes === b.nodes &&
    a.owner === b.owner &&
    a.mine === b.mine &&
    a.resourceArn === b.resourceArn &&
    a.instances.join(' ') === b.instances.join(' ') &&
    a.via === b.via &&
    a.remoteAccess === b.remoteAccess &&
    a.appType === b.appType &&
    a.appStatus === b.appStatus
  );
}

/**
 * Events that turn listing `before` into `after` (ages alone do not count as a change). A target whose other fields
 * changed (a space's remote access or app, a job's phase) gets `target-updated` (the full record), beside
 * `target-status` when its status or ping changed.
 */
export function diffTargets(
  before: IBridgeTarget[],
  after: IBridgeTarget[]
): TargetDiffEvent[] {
  const old = new Map(before.map(target => [target.target, target]));
  const now = new Map(after.map(target => [target.target, target]));
  const events: TargetDiffEvent[] = [];
  for (const target of after) {
    const previous = old.get(target.target);
    if (!previous) {
      events.push({ type: 'target-added', target });
      continue;
    }
    if (previous.status !== target.status || previous.ping !== target.ping) {
      events.push({
        type: 'target-status',
        target: target.target,
        status: target.status,
        ping: target.ping,
        previousStatus: previous.status,
        previousPing: previous.ping
      });
    }
    if (!sameOtherFields(previous, target)) {
      events.push({ type: 'target-updated', target });
    }
  }
  for (const target of before) {
    if (!now.has(target.target)) {
      events.push({ type: 'target-removed', target: target.target });
    }
  }
  return events;
}

interface IEntry {
  listing?: ITargetsResponse;
  pending?: Promise<ITargetsResponse>;
  watchers: number;
  timer?: NodeJS.Timeout;
  lastError?: string;
}

export interface ITargetsCacheOptions {
  pool: ClientPool;
  /** How long a listing is served from the cache (default 5 s). */
  maxAgeMs?: number;
  /** How often a watched listing is refreshed (default 15 s). */
  pollMs?: number;
  lister?: TargetLister;
  /** The finished jobs kept after their targets left the listing (default: kept an hour, read with Describe). */
  finished?: FinishedJobs;
}

/**
 * Emits `change` (key, events) when a listing differs from the one before, and `poll-error` (key, HttpError)
 * when a poll fails (once per distinct error in a row).
 */
export class TargetsCache extends EventEmitter {
  private readonly entries = new Map<string, IEntry>();
  private readonly pool: ClientPool;
  private readonly maxAgeMs: number;
  private readonly pollMs: number;
  private readonly lister: TargetLister;
  private readonly finished: FinishedJobs;

  constructor(options: ITargetsCacheOptions) {
    super();
    this.pool = options.pool;
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.pollMs = options.pollMs ?? 15_000;
    this.lister = options.lister ?? listTargets;
    this.finished = options.finished ?? new FinishedJobs();
  }

  private entry(key: string): IEntry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { watchers: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The listing for these clients: from the cache unless older than maxAgeMs or `refresh`. */
  async get(
    choice: IClientChoice,
    options: { refresh?: boolean } = {}
  ): Promise<ITargetsResponse> {
    const key = this.pool.key(choice);
    const entry = this.entry(key);
    if (entry.pending) {
      return entry.pending;
    }
    if (
      !options.refresh &&
      entry.listing &&
      Date.now() - entry.listing.listedAt < this.maxAgeMs
    ) {
      return entry.listing;
    }
    const pending = this.list(choice, key, entry.listing).then(listing => {
      const before = entry.listing;
      entry.listing = listing;
      entry.lastError = undefined;
      if (before) {
        const events = diffTargets(before.targets, listing.targets);
        if (events.length > 0) {
          this.emit('change', key, events);
        }
      }
      return listing;
    });
    entry.pending = pending;
    const clear = () => {
      if (entry.pending === pending) {
        entry.pending = undefined;
      }
    };
    pending.then(clear, clear);
    return pending;
  }

  /**
   * A listing started now: waits out one already under way (it may have begun before what the caller changed),
   * then lists again. Its differences go out as `change` like any other listing's.
   */
  async refresh(choice: IClientChoice): Promise<ITargetsResponse> {
    const pending = this.entries.get(this.pool.key(choice))?.pending;
    if (pending) {
      await pending.catch(() => undefined);
    }
    return this.get(choice, { refresh: true });
  }

  private async list(
    choice: IClientChoice,
    key: string,
    before: ITargetsResponse | undefined
  ): Promise<ITargetsResponse> {
    const warnings: string[] = [];
    const listedAt = Date.now();
    try {
      const clients = await this.pool.get(choice);
      const listed = await this.lister(clients, {
        onWarning: text => warnings.push(text),
        now: listedAt
      });
      const targets = await this.finished.merge(
        key,
        clients,
        before?.targets,
        listed.map(toBridgeTarget)
      );
      return { targets, warnings, listedAt };
    } catch (error) {
      throw toHttpError(error, 'listing the targets');
    }
  }

  /** Polls the listing of these clients every pollMs until the returned function is called (counted). */
  watch(choice: IClientChoice): () => void {
    const key = this.pool.key(choice);
    const entry = this.entry(key);
    entry.watchers += 1;
    if (!entry.timer) {
      entry.timer = setInterval(() => {
        this.get(choice, { refresh: true }).catch((error: HttpError) => {
          if (entry.lastError !== error.message) {
            entry.lastError = error.message;
            this.emit('poll-error', key, error);
          }
        });
      }, this.pollMs);
      entry.timer.unref();
    }
    let stopped = false;
    return () => {
      if (stopped) {
        return;
      }
      stopped = true;
      entry.watchers -= 1;
      if (entry.watchers === 0 && entry.timer) {
        clearInterval(entry.timer);
        entry.timer = undefined;
      }
    };
  }

  close(): void {
    for (const entry of this.entries.values()) {
      if (entry.timer) {
        clearInterval(entry.timer);
        entry.timer = undefined;
      }
    }
  }
}
