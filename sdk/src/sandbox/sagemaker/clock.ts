/**
 * Time in the SageMaker front. Transitions that take time on AWS (a stop, an app starting, a deletion) are due at
 * a moment and applied when the resource is next read, so nothing runs in the background.
 */
export interface ISageMakerTimings {
  /** Stopping → Stopped (jobs). Default 1 s. */
  stopMs?: number;
  /** Pending → InService (user profiles, spaces, apps). Default 1 s. */
  readyMs?: number;
  /** Deleting → Deleted or gone (apps, user profiles, spaces). Default 1 s. */
  deleteMs?: number;
  /**
   * After an app is InService, how long StartSession on its space still fails with InternalFailure (its
   * remote-access server is booting, as on AWS). Default 3 s.
   */
  remoteAccessBootMs?: number;
  /** The clock, epoch milliseconds (tests may move it). */
  now?: () => number;
}

export class Clock {
  stopMs: number;
  readyMs: number;
  deleteMs: number;
  remoteAccessBootMs: number;
  private readonly source: () => number;

  constructor(timings: ISageMakerTimings = {}) {
    this.stopMs = timings.stopMs ?? 1000;
    this.readyMs = timings.readyMs ?? 1000;
    this.deleteMs = timings.deleteMs ?? 1000;
    this.remoteAccessBootMs = timings.remoteAccessBootMs ?? 3000;
    this.source = timings.now ?? Date.now;
  }

  now(): number {
    return this.source();
  }
}

/** A transition due at `at`; `apply` receives the moment it took effect. */
export interface IPending {
  at: number;
  apply(at: number): void;
}

export interface IEvolving {
  pending?: IPending;
}

/** Applies the resource's pending transition if it is due, or at once with `force`. */
export function settle(resource: IEvolving, clock: Clock, force = false): void {
  const pending = resource.pending;
  if (pending && (force || pending.at <= clock.now())) {
    resource.pending = undefined;
    pending.apply(force ? Math.min(pending.at, clock.now()) : pending.at);
  }
}
