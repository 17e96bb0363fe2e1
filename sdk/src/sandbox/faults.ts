/**
 * Fault injection between a data-channel client and the sandbox's agent: what a flaky network or a busy service
 * does to frames. Every knob counts frames per direction; 0 or absent means off.
 */
export interface IFaultPlan {
  /** Drop the client's WebSocket (no close handshake) after every N frames in either direction. */
  dropConnectionEvery?: number;
  /**
   * Drop the client's WebSocket on the next frame in either direction, once: the plan forgets it then, so the
   * client's resend on the resumed channel passes (a plan that stays armed could drop that too).
   */
  dropConnectionOnce?: boolean;
  /** Hold every frame this long before passing it on. */
  delayMs?: number;
  /** Send every Nth frame twice. */
  duplicateEvery?: number;
  /** Swap every Nth frame with the one after it. */
  reorderEvery?: number;
  /**
   * Flip a payload byte of every Nth frame to the client (its digest no longer matches). Frames to the agent are
   * never corrupted: the real agent does not check digests, so there is nothing to test on that side.
   */
  corruptEvery?: number;
}

type Forward = (frame: Buffer) => void;

/** Applies a fault plan to one direction of one session. */
export class FaultyLink {
  private count = 0;
  private held?: Buffer;

  constructor(
    private readonly plan: () => IFaultPlan,
    private readonly onDrop: () => void,
    private readonly towardsClient: boolean
  ) {}

  pass(frame: Buffer, forward: Forward): void {
    const plan = this.plan();
    this.count += 1;
    const every = (n?: number) =>
      n !== undefined && n > 0 && this.count % n === 0;
    const once = plan.dropConnectionOnce === true;
    if (once || every(plan.dropConnectionEvery)) {
      if (once) {
        plan.dropConnectionOnce = false;
      }
      this.onDrop();
      return;
    }
    let out = frame;
    if (this.towardsClient && every(plan.corruptEvery) && frame.length > 120) {
      out = Buffer.from(frame);
      out[out.length - 1] ^= 0xff;
    }
    const deliver = (bytes: Buffer) =>
      plan.delayMs
        ? setTimeout(() => forward(bytes), plan.delayMs)
        : forward(bytes);
    if (this.held) {
      const held = this.held;
      this.held = undefined;
      deliver(out);
      deliver(held);
      return;
    }
    if (every(plan.reorderEvery)) {
      this.held = out;
      return;
    }
    deliver(out);
    if (every(plan.duplicateEvery)) {
      deliver(out);
    }
  }

  /** Lets a held frame go (the link is being torn down or the plan changed). */
  flush(forward: Forward): void {
    if (this.held) {
      forward(this.held);
      this.held = undefined;
    }
  }
}
