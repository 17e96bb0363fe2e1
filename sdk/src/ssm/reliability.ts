/**
 * Sans-IO reliable channel for one direction pair of the data channel
 * (reference §4, §7): our sequenced stream messages out, the peer's in.
 * The same engine serves the client (sends `input_stream_data`) and the
 * sandbox's agent emulation (sends `output_stream_data`).
 *
 * No sockets and no timers: bytes leave through {@link IReliableChannelSink},
 * time comes in as `now` (ms, any monotonic origin). The caller calls
 * {@link ReliableChannel.tick} about every {@link RESEND_INTERVAL_MS}.
 *
 * Beyond AWS's parties it adds an ack-clocked send window: at most `window`
 * messages are outstanding (sent and unacknowledged, or queued), so a fast
 * producer waits on {@link ReliableChannel.canSend}/`drain` instead of a
 * fixed sleep, and a slow peer slows us through its acks.
 */
import { SsmProtocolError } from './errors.js';
import {
  type IClientMessage,
  type IDecodeOptions,
  MessageType,
  decodeClientMessage,
  encodeClientMessage,
  newMessageId
} from './message.js';
import { acknowledgeMessage, parseAcknowledge } from './payloads.js';
import { RtoEstimator } from './rto.js';

/** How often AWS's parties look at the oldest unacked message, ms. */
export const RESEND_INTERVAL_MS = 100;
/** Default send window (outstanding messages). */
export const DEFAULT_WINDOW = 64;
/** Default outgoing and incoming buffer capacities (the plugin's). */
export const DEFAULT_BUFFER_CAPACITY = 10000;
/** Default payload bytes the reorder buffer may hold (a full window of 64 KiB messages, twice). */
export const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;

/** Where the engine's decisions go. Callbacks run synchronously. */
export interface IReliableChannelSink {
  /** Put these bytes on the transport now (new message, resend or ack). */
  transmit(frame: Buffer): void;
  /** The peer's next stream message, in sequence order, exactly once. */
  deliver(message: IClientMessage): void;
  /**
   * Every message that is neither ours nor the peer's stream data nor an
   * ack: channel_closed, start/pause_publication (after the engine acted on
   * them), agent_session_state, unknown types.
   */
  control?(message: IClientMessage): void;
  /** The send window had been full and has room again. */
  drain?(): void;
  /** The oldest message reached `maxResendAttempts`; called once per message. */
  exhausted?(sequenceNumber: number, attempts: number): void;
}

/** Options of {@link ReliableChannel}. */
export interface IReliableChannelOptions {
  /** `client` sends input_stream_data (default); `agent` output_stream_data. */
  role?: 'client' | 'agent';
  /** Maximum outstanding messages (in flight + queued). Default 64. */
  window?: number;
  /** Hard limit of outstanding messages; send() throws beyond it. Default 10,000. */
  outgoingCapacity?: number;
  /** Reorder buffer size; beyond it out-of-order messages are dropped unacked. Default 10,000. */
  incomingCapacity?: number;
  /**
   * Payload bytes the reorder buffer may hold (out-of-order messages, and messages taken while delivery is
   * held); beyond it they are dropped unacked and the peer resends them. This bounds memory under a slow reader.
   * Default 8 MiB.
   */
  incomingBytes?: number;
  /**
   * Restart the timer of a message when it is resent (the agent does; the
   * plugin does not and then resends every tick). Default true.
   */
  updateLastSentOnResend?: boolean;
  /** Resends of one message before `exhausted`. Default unlimited (agent). */
  maxResendAttempts?: number;
  /** Ack again duplicates older than the expected number (agent does, plugin not). Default true. */
  reackOldDuplicates?: boolean;
  /** Leave the paused state on any peer stream data or ack (agent). Default true. */
  resumeOnPeerTraffic?: boolean;
  /** Epoch-ms clock for CreatedDate. Default Date.now. */
  wallClock?: () => number;
  /** Message id source. Default random UUIDs. */
  newMessageId?: () => string;
  /** Decoder options for {@link ReliableChannel.receiveFrame}. */
  decode?: IDecodeOptions;
}

/** Counters; they survive transport reconnects. */
export interface IReliableChannelStats {
  /** Next sequence number we will assign. */
  nextSequenceNumber: number;
  /** Next sequence number we expect from the peer. */
  expectedSequenceNumber: number;
  /** Messages sent and not yet acknowledged. */
  inFlight: number;
  /** Messages accepted by send() but not yet transmitted (window, pause, down). */
  queued: number;
  /** Out-of-order messages waiting in the reorder buffer. */
  reorderBuffered: number;
  sent: number;
  resent: number;
  acked: number;
  unknownAcks: number;
  delivered: number;
  duplicates: number;
  dropped: number;
  notReady: number;
  rto: number;
}

interface IOutgoing {
  seq: number;
  frame: Buffer;
  lastSent: number;
  attempts: number;
  exhausted: boolean;
}

/** The reliable-channel state machine. See the module comment. */
export class ReliableChannel {
  /** The estimator feeding the resend decision. */
  readonly rto = new RtoEstimator();
  /** Type of the messages we send. */
  readonly outgoingType: string;
  /** Type of the peer's messages we deliver. */
  readonly incomingType: string;

  private readonly sink: IReliableChannelSink;
  private readonly window: number;
  private readonly outgoingCapacity: number;
  private readonly incomingCapacity: number;
  private readonly incomingBytes: number;
  private readonly updateLastSent: boolean;
  private readonly maxResends: number;
  private readonly reackOld: boolean;
  private readonly resumeOnTraffic: boolean;
  private readonly wallClock: () => number;
  private readonly makeId: () => string;
  private readonly decodeOptions: IDecodeOptions;

  private nextSeq = 0;
  private expectedSeq = 0;
  /** In sequence order (Map keeps insertion order). */
  private readonly inFlight = new Map<number, IOutgoing>();
  private highestAcked = -1;
  /** In-flight messages with a sequence number above {@link highestAcked}. */
  private inFlightAboveAcked = 0;
  private pending: IOutgoing[] = [];
  private pendingHead = 0;
  private readonly reorder = new Map<number, IClientMessage>();
  private reorderBytes = 0;
  private paused = false;
  private connected = true;
  private held = false;
  private refusing = false;
  private closed = false;
  private windowFull = false;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly counters = {
    sent: 0,
    resent: 0,
    acked: 0,
    unknownAcks: 0,
    delivered: 0,
    duplicates: 0,
    dropped: 0,
    notReady: 0
  };

  constructor(
    sink: IReliableChannelSink,
    options: IReliableChannelOptions = {}
  ) {
    this.sink = sink;
    const agent = options.role === 'agent';
    this.outgoingType = agent
      ? MessageType.OutputStreamData
      : MessageType.InputStreamData;
    this.incomingType = agent
      ? MessageType.InputStreamData
      : MessageType.OutputStreamData;
    this.window = positive(options.window ?? DEFAULT_WINDOW, 'window');
    this.outgoingCapacity = positive(
      options.outgoingCapacity ?? DEFAULT_BUFFER_CAPACITY,
      'outgoingCapacity'
    );
    this.incomingCapacity = positive(
      options.incomingCapacity ?? DEFAULT_BUFFER_CAPACITY,
      'incomingCapacity'
    );
    this.incomingBytes = positive(
      options.incomingBytes ?? DEFAULT_BUFFER_BYTES,
      'incomingBytes'
    );
    this.updateLastSent = options.updateLastSentOnResend ?? true;
    this.maxResends = options.maxResendAttempts ?? Infinity;
    this.reackOld = options.reackOldDuplicates ?? true;
    this.resumeOnTraffic = options.resumeOnPeerTraffic ?? true;
    this.wallClock = options.wallClock ?? Date.now;
    this.makeId = options.newMessageId ?? newMessageId;
    this.decodeOptions = options.decode ?? {};
  }

  // ------------------------------------------------------------------ sending

  /** Messages accepted and not yet acknowledged (in flight + queued). */
  get outstanding(): number {
    return this.inFlight.size + this.pending.length - this.pendingHead;
  }

  /**
   * What the window counts: queued messages and those in flight above the highest acknowledged one. A message
   * below it that stays unacknowledged was most likely received and its ack lost in a dropped connection: a
   * plugin-like peer discards the resend without acking again, so counting it would shrink the window for good
   * (TCP's in-flight estimate with SACK leaves such segments out the same way). It is still resent.
   */
  private get windowUse(): number {
    return this.inFlightAboveAcked + this.pending.length - this.pendingHead;
  }

  /** True while the window has room (and the outgoing buffer too). */
  canSend(): boolean {
    return (
      !this.closed &&
      this.windowUse < this.window &&
      this.outstanding < this.outgoingCapacity
    );
  }

  /** Resolves when {@link canSend} is true; rejects if the channel closes. */
  whenCanSend(): Promise<void> {
    if (this.closed) {
      return Promise.reject(closedError());
    }
    if (this.canSend()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /**
   * Assigns the next sequence number to a stream message and transmits it
   * at once if the window, the publication state and the transport allow;
   * otherwise queues it. Returns the sequence number.
   *
   * Callers should respect {@link canSend}; beyond `outgoingCapacity`
   * outstanding messages this throws.
   *
   * @throws SsmProtocolError OUTGOING_BUFFER_FULL, CHANNEL_CLOSED, or an
   * encoder error (e.g. EMPTY_PAYLOAD) — the sequence number is not used then.
   */
  send(
    payloadType: number,
    payload: Uint8Array | readonly Uint8Array[],
    now: number,
    flags = 0
  ): number {
    if (this.closed) {
      throw closedError();
    }
    if (this.outstanding >= this.outgoingCapacity) {
      throw new SsmProtocolError(
        'OUTGOING_BUFFER_FULL',
        `${this.outstanding} messages are unacknowledged; the outgoing buffer is full`
      );
    }
    const seq = this.nextSeq;
    const frame = encodeClientMessage({
      messageType: this.outgoingType,
      createdDate: this.wallClock(),
      sequenceNumber: seq,
      flags,
      messageId: this.makeId(),
      payloadType,
      payload
    });
    this.nextSeq++;
    const entry: IOutgoing = {
      seq,
      frame,
      lastSent: now,
      attempts: 0,
      exhausted: false
    };
    if (
      this.pendingHead === this.pending.length &&
      this.transmitAllowed() &&
      this.inFlightAboveAcked < this.window
    ) {
      this.transmitNew(entry, now);
    } else {
      this.pending.push(entry);
    }
    if (this.windowUse >= this.window) {
      this.windowFull = true;
    }
    return seq;
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Decodes a binary frame and handles it like {@link receive}.
   *
   * @throws SsmProtocolError for a malformed frame (state is unchanged).
   */
  receiveFrame(frame: Uint8Array, now: number): IClientMessage {
    const message = decodeClientMessage(frame, this.decodeOptions);
    this.receive(message, now);
    return message;
  }

  /**
   * Handles one decoded message: acks, peer stream data, publication state;
   * everything else goes to `sink.control`.
   *
   * @throws SsmProtocolError for an acknowledgement whose JSON is malformed.
   */
  receive(message: IClientMessage, now: number): void {
    switch (message.messageType) {
      case MessageType.Acknowledge: {
        const ack = parseAcknowledge(message.payload);
        this.peerTraffic(now);
        this.acknowledge(ack.AcknowledgedMessageSequenceNumber, now);
        return;
      }
      case this.incomingType:
        this.peerTraffic(now);
        this.incoming(message, now);
        return;
      case MessageType.PausePublication:
        this.paused = true;
        break;
      case MessageType.StartPublication:
        this.resume(now);
        break;
      default:
        break;
    }
    this.sink.control?.(message);
  }

  /**
   * Handles an acknowledgement of our message `sequenceNumber`: forgets it,
   * feeds the RTT sample (now − last send) and refills the window.
   * Returns false if no such message was in flight.
   */
  acknowledge(sequenceNumber: number, now: number): boolean {
    const entry = this.inFlight.get(sequenceNumber);
    if (!entry) {
      this.counters.unknownAcks++;
      return false;
    }
    this.inFlight.delete(sequenceNumber);
    this.counters.acked++;
    if (sequenceNumber > this.highestAcked) {
      this.inFlightAboveAcked--;
      // unacknowledged messages below the new highest ack leave the window (see windowUse)
      for (const other of this.inFlight.values()) {
        if (other.seq >= sequenceNumber) {
          break;
        }
        if (other.seq > this.highestAcked) {
          this.inFlightAboveAcked--;
        }
      }
      this.highestAcked = sequenceNumber;
    }
    this.rto.sample(now - entry.lastSent);
    this.flush(now);
    this.checkDrain();
    return true;
  }

  // ------------------------------------------------------------ time and state

  /**
   * The resend check: if the OLDEST unacknowledged message was last sent
   * more than RTO ago, transmit its identical bytes again. Nothing happens
   * while paused, disconnected or closed. Returns true if it resent.
   */
  tick(now: number): boolean {
    if (!this.transmitAllowed() || this.closed) {
      return false;
    }
    const oldest = this.oldest();
    if (!oldest || now - oldest.lastSent <= this.rto.rto) {
      return false;
    }
    if (oldest.attempts >= this.maxResends) {
      if (!oldest.exhausted) {
        oldest.exhausted = true;
        this.sink.exhausted?.(oldest.seq, oldest.attempts);
      }
      return false;
    }
    oldest.attempts++;
    this.counters.resent++;
    if (this.updateLastSent) {
      oldest.lastSent = now;
    }
    this.sink.transmit(oldest.frame);
    return true;
  }

  /** When the oldest in-flight message becomes due for a resend, if any. */
  nextResendAt(): number | undefined {
    const oldest = this.oldest();
    return oldest ? oldest.lastSent + this.rto.rto : undefined;
  }

  /** The transport is gone: transmit nothing until {@link transportUp}. */
  transportDown(): void {
    this.connected = false;
  }

  /**
   * The transport is back (resume path): resend every unacknowledged
   * message in sequence order, then queued ones as the window allows.
   */
  transportUp(now: number): void {
    this.connected = true;
    if (this.closed) {
      return;
    }
    if (!this.paused) {
      for (const entry of this.inFlight.values()) {
        entry.lastSent = now;
        entry.attempts++;
        this.counters.resent++;
        this.sink.transmit(entry.frame);
      }
    }
    this.flush(now);
  }

  /** True after pause_publication until start_publication (or peer traffic). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** True between transportDown() and transportUp(). */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * The reader is slow (backpressure): stop delivering; peer messages are
   * kept and acked while `incomingBytes` has room, then dropped unacked so
   * the peer's window stops it.
   */
  holdDelivery(): void {
    this.held = true;
  }

  /** Ready again: deliver what the reorder buffer holds in order. */
  releaseDelivery(): void {
    this.held = false;
    this.drainReorder();
  }

  /**
   * Not ready to consume at all: the next in-order peer message is dropped
   * unacked (the peer resends it), out-of-order ones are still buffered and
   * acked. This is what AWS's agent does before its port connection exists
   * (ErrHandlerNotReady), and what makes the plugin resend at start-up.
   */
  refuseDelivery(): void {
    this.refusing = true;
    this.held = true;
  }

  /** Ends {@link refuseDelivery}: deliver what the reorder buffer holds. */
  acceptDelivery(): void {
    this.refusing = false;
    this.releaseDelivery();
  }

  /** Stops everything; waiters of {@link whenCanSend} are rejected. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.reject(closedError());
    }
  }

  /** True after close(). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Counters and sizes. */
  get stats(): IReliableChannelStats {
    return {
      nextSequenceNumber: this.nextSeq,
      expectedSequenceNumber: this.expectedSeq,
      inFlight: this.inFlight.size,
      queued: this.pending.length - this.pendingHead,
      reorderBuffered: this.reorder.size,
      ...this.counters,
      rto: this.rto.rto
    };
  }

  // ------------------------------------------------------------------ private

  private transmitAllowed(): boolean {
    return this.connected && !this.paused;
  }

  private oldest(): IOutgoing | undefined {
    for (const entry of this.inFlight.values()) {
      return entry;
    }
    return undefined;
  }

  private transmitNew(entry: IOutgoing, now: number): void {
    entry.lastSent = now;
    this.inFlight.set(entry.seq, entry);
    if (entry.seq > this.highestAcked) {
      this.inFlightAboveAcked++;
    }
    this.counters.sent++;
    this.sink.transmit(entry.frame);
  }

  private flush(now: number): void {
    while (
      this.pendingHead < this.pending.length &&
      this.inFlightAboveAcked < this.window &&
      this.transmitAllowed() &&
      !this.closed
    ) {
      const entry = this.pending[this.pendingHead];
      this.pendingHead++;
      this.transmitNew(entry, now);
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (
      this.pendingHead > 1024 &&
      this.pendingHead * 2 > this.pending.length
    ) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private checkDrain(): void {
    if (!this.windowFull || this.windowUse >= this.window || this.closed) {
      return;
    }
    this.windowFull = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      w.resolve();
    }
    this.sink.drain?.();
  }

  private resume(now: number): void {
    if (!this.paused) {
      return;
    }
    this.paused = false;
    this.flush(now);
  }

  private peerTraffic(now: number): void {
    if (this.paused && this.resumeOnTraffic) {
      this.resume(now);
    }
  }

  private ack(message: IClientMessage): void {
    if (!this.connected) {
      return;
    }
    this.sink.transmit(
      encodeClientMessage(
        acknowledgeMessage(message, this.wallClock(), this.makeId())
      )
    );
  }

  private incoming(message: IClientMessage, now: number): void {
    const seq = message.sequenceNumber;
    if (seq === this.expectedSeq && !this.held) {
      this.ack(message);
      this.expectedSeq++;
      this.counters.delivered++;
      this.sink.deliver(message);
      this.drainReorder();
    } else if (seq === this.expectedSeq && this.refusing) {
      this.counters.notReady++;
    } else if (seq >= this.expectedSeq) {
      // out of order, or in order while the reader is not ready: keep it (and ack it) while the buffer has room
      if (this.reorder.has(seq)) {
        this.counters.duplicates++;
        this.ack(message);
      } else if (
        this.reorder.size >= this.incomingCapacity ||
        this.reorderBytes + message.payload.length > this.incomingBytes
      ) {
        this.counters[this.held ? 'notReady' : 'dropped']++;
      } else {
        this.reorder.set(seq, message);
        this.reorderBytes += message.payload.length;
        this.ack(message);
      }
    } else {
      this.counters.duplicates++;
      if (this.reackOld) {
        this.ack(message);
      }
    }
  }

  private drainReorder(): void {
    while (!this.held && this.reorder.size > 0) {
      const next = this.reorder.get(this.expectedSeq);
      if (!next) {
        return;
      }
      this.reorder.delete(this.expectedSeq);
      this.reorderBytes -= next.payload.length;
      this.expectedSeq++;
      this.counters.delivered++;
      this.sink.deliver(next);
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SsmProtocolError(
      'BAD_FIELD',
      `${name} must be a positive integer`
    );
  }
  return value;
}

function closedError(): SsmProtocolError {
  return new SsmProtocolError('CHANNEL_CLOSED', 'the data channel is closed');
}
