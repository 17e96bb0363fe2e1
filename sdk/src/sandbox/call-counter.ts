/**
 * The AWS API calls clients make to the sandbox, counted by `<Service>.<Operation>` (e.g.
 * `SSM.DescribeInstanceInformation`, `STS.GetCallerIdentity`), so tests and benchmarks can say what a command costs
 * in calls, which is what AWS meters and throttles. Every request counts, the failed ones and SDK retries included.
 */

/** What the sandbox exposes of its call counts (`sandbox.calls`, and `GET /_sandbox/calls`). */
export interface ICallCounts {
  /** Calls since the start or the last reset. */
  readonly total: number;
  /** Calls per `<Service>.<Operation>`, keys sorted. */
  snapshot(): Record<string, number>;
  /** Starts counting from zero. */
  reset(): void;
}

/** The body of `GET /_sandbox/calls` (and of `DELETE`, which answers with the counts it cleared). */
export interface ICallReport {
  total: number;
  calls: Record<string, number>;
}

export class CallCounter implements ICallCounts {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  count(service: string, operation: string): void {
    const key = `${service}.${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.sum += 1;
  }

  get total(): number {
    return this.sum;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    );
  }

  reset(): void {
    this.counts.clear();
    this.sum = 0;
  }

  report(): ICallReport {
    return { total: this.sum, calls: this.snapshot() };
  }
}
