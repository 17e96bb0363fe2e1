/**
 * Retransmission-timeout estimator of the data channel (reference §4), the
 * same arithmetic as AWS's plugin and agent, in milliseconds (the Go code
 * uses float nanoseconds and truncates the RTO to whole nanoseconds; the
 * difference is below 1 ns).
 */

/** Initial smoothed round-trip time, ms. */
export const INITIAL_SRTT_MS = 100;
/** Initial round-trip time variation, ms. */
export const INITIAL_RTTVAR_MS = 0;
/** Initial retransmission timeout, ms. */
export const INITIAL_RTO_MS = 200;
/** Clock granularity: the smallest variance term, ms. */
export const CLOCK_GRANULARITY_MS = 10;
/** Upper bound of the RTO, ms. */
export const MAX_RTO_MS = 1000;
/** Gain of the SRTT update (1/8). */
export const RTT_GAIN = 1 / 8;
/** Gain of the RTTVAR update (1/4). */
export const RTTVAR_GAIN = 1 / 4;

/** Snapshot of the estimator. */
export interface IRtoState {
  srtt: number;
  rttvar: number;
  rto: number;
  samples: number;
}

/**
 * SRTT/RTTVAR/RTO with, on each sample R:
 * RTTVAR = ¾·RTTVAR + ¼·|SRTT − R| (old SRTT), SRTT = ⅞·SRTT + ⅛·R,
 * RTO = min(1 s, SRTT + max(10 ms, 4·RTTVAR)).
 */
export class RtoEstimator {
  private srttMs = INITIAL_SRTT_MS;
  private rttvarMs = INITIAL_RTTVAR_MS;
  private rtoMs = INITIAL_RTO_MS;
  private count = 0;

  /** Current retransmission timeout, ms. */
  get rto(): number {
    return this.rtoMs;
  }

  /** Smoothed round-trip time, ms. */
  get srtt(): number {
    return this.srttMs;
  }

  /** Round-trip time variation, ms. */
  get rttvar(): number {
    return this.rttvarMs;
  }

  /** Feeds one round-trip sample (ms, negative values count as 0); returns the new RTO. */
  sample(rttMs: number): number {
    const r = Number.isFinite(rttMs) && rttMs > 0 ? rttMs : 0;
    this.rttvarMs =
      (1 - RTTVAR_GAIN) * this.rttvarMs +
      RTTVAR_GAIN * Math.abs(this.srttMs - r);
    this.srttMs = (1 - RTT_GAIN) * this.srttMs + RTT_GAIN * r;
    this.rtoMs = Math.min(
      MAX_RTO_MS,
      this.srttMs + Math.max(CLOCK_GRANULARITY_MS, 4 * this.rttvarMs)
    );
    this.count++;
    return this.rtoMs;
  }

  /** A copy of the state. */
  snapshot(): IRtoState {
    return {
      srtt: this.srttMs,
      rttvar: this.rttvarMs,
      rto: this.rtoMs,
      samples: this.count
    };
  }
}
