/**
 * smux protocol version 1 (xtaci/smux v1.5, default config), the stream
 * multiplexer AWS's plugin and agent run over the data channel's Output
 * byte stream for port forwarding (reference §6).
 *
 * Frame: 8-byte header — version (1), cmd (SYN 0, FIN 1, PSH 2, NOP 3),
 * length u16 little-endian, stream id u32 little-endian — then `length`
 * bytes of data for PSH only (like xtaci, a SYN/FIN/NOP length is not
 * consumed). Senders cut PSH data at 32768 bytes. Frames span data-channel
 * messages arbitrarily.
 *
 * Keep-alive: the agent disables it for ClientVersion > 1.2.331.0 and the
 * plugin for agents > 3.1.1511.0; with older peers both send a NOP every
 * 10 s and close a session silent for 30 s ({@link SmuxSession.sendNop},
 * driven by the layer above). NOPs received are counted and ignored.
 *
 * Backpressure: v1 has no per-stream flow control (no UPD frames; that is
 * v2). Like xtaci, which stops reading its connection while the session's
 * receive buffer (4 MiB) is used up, {@link SmuxSession} queues received
 * data per stream and reports {@link SmuxSession.wantsInput} false once
 * `maxReceiveBuffer` bytes wait unread. The layer above must then stop
 * feeding it, i.e. stop reading the data channel; because the data channel
 * acknowledges only what it has read, the peer's ack clock (our
 * {@link ReliableChannel} window, or AWS's resend loop) slows the sender.
 * One slow stream therefore stalls every stream of the session, as in xtaci.
 */
import { SsmProtocolError } from './errors.js';

/** The only smux version AWS's parties use. */
export const SMUX_VERSION = 1;
/** Header bytes. */
export const SMUX_HEADER_SIZE = 8;
/** Largest PSH payload a sender writes (xtaci default MaxFrameSize). */
export const SMUX_MAX_FRAME_SIZE = 32768;
/** Session receive buffer (xtaci default MaxReceiveBuffer). */
export const SMUX_MAX_RECEIVE_BUFFER = 4 * 1024 * 1024;

/** smux v1 commands. */
export const SmuxCommand = {
  SYN: 0,
  FIN: 1,
  PSH: 2,
  NOP: 3
} as const;

/** A whole frame. */
export interface ISmuxFrame {
  version: number;
  cmd: number;
  streamId: number;
  /** PSH data (empty for other commands). */
  data: Buffer;
}

function checkStreamId(streamId: number): void {
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > 0xffffffff) {
    throw new SsmProtocolError(
      'BAD_FIELD',
      `stream id ${streamId} is not a u32`
    );
  }
}

/** Encodes a frame header. */
export function encodeSmuxHeader(
  cmd: number,
  streamId: number,
  length = 0
): Buffer {
  checkStreamId(streamId);
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > SmuxCommand.NOP) {
    throw new SsmProtocolError('SMUX_BAD_COMMAND', `smux command ${cmd}`);
  }
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new SsmProtocolError(
      'SMUX_FRAME_TOO_LARGE',
      `smux frame length ${length} does not fit 16 bits`
    );
  }
  const header = Buffer.allocUnsafe(SMUX_HEADER_SIZE);
  header[0] = SMUX_VERSION;
  header[1] = cmd;
  header.writeUInt16LE(length, 2);
  header.writeUInt32LE(streamId, 4);
  return header;
}

/** Encodes a whole frame into one buffer (copies `data`). */
export function encodeSmuxFrame(
  cmd: number,
  streamId: number,
  data?: Uint8Array
): Buffer {
  const length = data?.byteLength ?? 0;
  if (length > 0 && cmd !== SmuxCommand.PSH) {
    throw new SsmProtocolError('BAD_FIELD', 'only PSH frames carry data');
  }
  const header = encodeSmuxHeader(cmd, streamId, length);
  return data && length ? Buffer.concat([header, data]) : header;
}

/** Receives parsed frames from {@link SmuxFrameParser}. */
export interface ISmuxParserHandler {
  /** A complete header; for PSH, its `length` bytes follow through `data`. */
  frame(cmd: number, streamId: number, length: number): void;
  /** The next piece of the current PSH frame's data (a view, no copy). */
  data(streamId: number, chunk: Buffer): void;
}

/**
 * Incremental smux frame parser: push bytes in any split, get headers and
 * PSH data pieces in order. Never reads out of bounds; a bad version or
 * command throws {@link SsmProtocolError} and poisons the parser (the byte
 * stream has lost framing, as xtaci's session dies).
 */
export class SmuxFrameParser {
  private readonly handler: ISmuxParserHandler;
  private readonly header = Buffer.alloc(SMUX_HEADER_SIZE);
  private headerFill = 0;
  private bodyLeft = 0;
  private bodyStream = 0;
  private failure: SsmProtocolError | undefined;

  constructor(handler: ISmuxParserHandler) {
    this.handler = handler;
  }

  /** True at a frame boundary (no partial header or data pending). */
  get atBoundary(): boolean {
    return this.headerFill === 0 && this.bodyLeft === 0;
  }

  /** Feeds bytes. */
  push(bytes: Uint8Array): void {
    if (this.failure) {
      throw this.failure;
    }
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, len - off);
        this.bodyLeft -= n;
        this.handler.data(this.bodyStream, chunk.subarray(off, off + n));
        off += n;
        continue;
      }
      if (this.headerFill === 0 && len - off >= SMUX_HEADER_SIZE) {
        this.onHeader(
          chunk[off],
          chunk[off + 1],
          chunk.readUInt16LE(off + 2),
          chunk.readUInt32LE(off + 4)
        );
        off += SMUX_HEADER_SIZE;
        continue;
      }
      const n = Math.min(SMUX_HEADER_SIZE - this.headerFill, len - off);
      chunk.copy(this.header, this.headerFill, off, off + n);
      this.headerFill += n;
      off += n;
      if (this.headerFill === SMUX_HEADER_SIZE) {
        this.headerFill = 0;
        const h = this.header;
        this.onHeader(h[0], h[1], h.readUInt16LE(2), h.readUInt32LE(4));
      }
    }
  }

  private onHeader(
    version: number,
    cmd: number,
    length: number,
    sid: number
  ): void {
    if (version !== SMUX_VERSION) {
      this.failure = new SsmProtocolError(
        'SMUX_BAD_VERSION',
        `smux frame of version ${version}, expected ${SMUX_VERSION}`
      );
      throw this.failure;
    }
    if (cmd > SmuxCommand.NOP) {
      this.failure = new SsmProtocolError(
        'SMUX_BAD_COMMAND',
        `unknown smux command ${cmd}`
      );
      throw this.failure;
    }
    if (cmd === SmuxCommand.PSH) {
      this.bodyLeft = length;
      this.bodyStream = sid;
    }
    this.handler.frame(cmd, sid, length);
  }
}

/**
 * Decodes a buffer holding whole frames only.
 *
 * @throws SsmProtocolError on a bad header or a truncated last frame.
 */
export function decodeSmuxFrames(bytes: Uint8Array): ISmuxFrame[] {
  const frames: ISmuxFrame[] = [];
  let pieces: Buffer[] = [];
  const parser = new SmuxFrameParser({
    frame(cmd, streamId) {
      pieces = [];
      frames.push({
        version: SMUX_VERSION,
        cmd,
        streamId,
        data: Buffer.alloc(0)
      });
    },
    data(streamId, chunk) {
      pieces.push(chunk);
      const last = frames[frames.length - 1];
      last.data = pieces.length === 1 ? chunk : Buffer.concat(pieces);
    }
  });
  parser.push(bytes);
  if (!parser.atBoundary) {
    throw new SsmProtocolError(
      'SMUX_TRUNCATED',
      'the bytes end inside an smux frame'
    );
  }
  return frames;
}

/** Where an {@link SmuxSession} sends bytes and events. */
export interface ISmuxSessionSink {
  /**
   * Bytes for the peer: a header and, for PSH, a view of the caller's data
   * (no copy; send them as one data-channel payload or several).
   */
  transmit(header: Buffer, body?: Buffer): void;
  /** The peer opened a stream (SYN). */
  accept?(streamId: number): void;
  /** Data was queued on a stream; take it with {@link SmuxSession.read}. */
  readable?(streamId: number): void;
  /** The peer closed a stream (FIN); queued data stays readable. */
  end?(streamId: number): void;
}

/** Options of {@link SmuxSession}. */
export interface ISmuxSessionOptions {
  /** `client` opens odd ids 3, 5, 7…; `server` even ids 2, 4… (xtaci). */
  role: 'client' | 'server';
  /** Largest PSH payload we send. Default 32768. */
  maxFrameSize?: number;
  /** Unread bytes after which {@link SmuxSession.wantsInput} turns false. Default 4 MiB. */
  maxReceiveBuffer?: number;
}

interface IStream {
  queue: Buffer[];
  queued: number;
  remoteClosed: boolean;
}

/** Counters of an {@link SmuxSession}. */
export interface ISmuxStats {
  streams: number;
  bufferedBytes: number;
  framesIn: number;
  nopsIn: number;
  /** PSH bytes for streams we do not know (dropped, as xtaci does). */
  droppedBytes: number;
}

/**
 * Sans-IO smux v1 session for either role, with per-stream receive queues.
 * Follows xtaci's semantics: a SYN for a known id is ignored; FIN marks the
 * stream's end of input but keeps it writable until closed locally;
 * {@link closeStream} sends FIN and forgets the stream; data for unknown
 * streams is dropped.
 */
export class SmuxSession {
  private readonly sink: ISmuxSessionSink;
  private readonly maxFrameSize: number;
  private readonly maxReceiveBuffer: number;
  private readonly streams = new Map<number, IStream>();
  private readonly parser: SmuxFrameParser;
  private nextId: number;
  private buffered = 0;
  private closed = false;
  private framesIn = 0;
  private nopsIn = 0;
  private droppedBytes = 0;

  constructor(sink: ISmuxSessionSink, options: ISmuxSessionOptions) {
    this.sink = sink;
    this.nextId = options.role === 'client' ? 1 : 0;
    this.maxFrameSize = options.maxFrameSize ?? SMUX_MAX_FRAME_SIZE;
    if (
      !Number.isInteger(this.maxFrameSize) ||
      this.maxFrameSize < 1 ||
      this.maxFrameSize > 0xffff
    ) {
      throw new SsmProtocolError(
        'BAD_FIELD',
        'maxFrameSize must be an integer in [1, 65535]'
      );
    }
    this.maxReceiveBuffer = options.maxReceiveBuffer ?? SMUX_MAX_RECEIVE_BUFFER;
    this.parser = new SmuxFrameParser({
      frame: (cmd, sid) => this.onFrame(cmd, sid),
      data: (sid, chunk) => this.onData(sid, chunk)
    });
  }

  /** Sends a keep-alive NOP (stream id 0). */
  sendNop(): void {
    this.assertOpen();
    this.sink.transmit(encodeSmuxHeader(SmuxCommand.NOP, 0));
  }

  /** Opens a stream: sends SYN, returns its id. */
  openStream(): number {
    this.assertOpen();
    const id = this.nextId + 2;
    if (id > 0xffffffff) {
      throw new SsmProtocolError(
        'SMUX_STREAM_IDS_EXHAUSTED',
        'no smux stream ids are left in this session'
      );
    }
    this.nextId = id;
    this.streams.set(id, { queue: [], queued: 0, remoteClosed: false });
    this.sink.transmit(encodeSmuxHeader(SmuxCommand.SYN, id));
    return id;
  }

  /** Writes data to a stream as PSH frames of at most `maxFrameSize` bytes. */
  write(streamId: number, data: Uint8Array): void {
    this.assertOpen();
    if (!this.streams.has(streamId)) {
      throw new SsmProtocolError(
        'SMUX_STREAM_UNKNOWN',
        `smux stream ${streamId} is not open`
      );
    }
    const buf = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    for (let off = 0; off < buf.length; off += this.maxFrameSize) {
      const body = buf.subarray(off, off + this.maxFrameSize);
      this.sink.transmit(
        encodeSmuxHeader(SmuxCommand.PSH, streamId, body.length),
        body
      );
    }
  }

  /** Closes a stream: sends FIN and forgets it (unread data is discarded). */
  closeStream(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream || this.closed) {
      return;
    }
    this.discard(stream);
    this.streams.delete(streamId);
    this.sink.transmit(encodeSmuxHeader(SmuxCommand.FIN, streamId));
  }

  /**
   * Feeds bytes from the peer (any split).
   *
   * @throws SsmProtocolError when the bytes are not smux v1; the session is
   * unusable afterwards.
   */
  receive(bytes: Uint8Array): void {
    this.assertOpen();
    this.parser.push(bytes);
  }

  /** Takes every queued chunk of a stream (empty if none or unknown). */
  read(streamId: number): Buffer[] {
    const stream = this.streams.get(streamId);
    if (!stream || stream.queued === 0) {
      return [];
    }
    const chunks = stream.queue;
    this.discard(stream);
    return chunks;
  }

  /** Unread bytes of a stream. */
  readableLength(streamId: number): number {
    return this.streams.get(streamId)?.queued ?? 0;
  }

  /** True once the peer sent FIN for the stream. */
  isRemoteClosed(streamId: number): boolean {
    return this.streams.get(streamId)?.remoteClosed ?? false;
  }

  /** True if the stream is open locally. */
  hasStream(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /** Ids of the open streams. */
  streamIds(): number[] {
    return [...this.streams.keys()];
  }

  /** Unread bytes of all streams. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** False while unread bytes reach `maxReceiveBuffer`: stop feeding input. */
  wantsInput(): boolean {
    return this.buffered < this.maxReceiveBuffer;
  }

  /** Forgets every stream without sending anything (the channel is gone). */
  close(): void {
    this.closed = true;
    this.streams.clear();
    this.buffered = 0;
  }

  /** Counters. */
  get stats(): ISmuxStats {
    return {
      streams: this.streams.size,
      bufferedBytes: this.buffered,
      framesIn: this.framesIn,
      nopsIn: this.nopsIn,
      droppedBytes: this.droppedBytes
    };
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new SsmProtocolError(
        'SMUX_STREAM_CLOSED',
        'the smux session is closed'
      );
    }
  }

  private discard(stream: IStream): void {
    this.buffered -= stream.queued;
    stream.queue = [];
    stream.queued = 0;
  }

  private onFrame(cmd: number, sid: number): void {
    this.framesIn++;
    switch (cmd) {
      case SmuxCommand.SYN:
        if (!this.streams.has(sid)) {
          this.streams.set(sid, { queue: [], queued: 0, remoteClosed: false });
          this.sink.accept?.(sid);
        }
        return;
      case SmuxCommand.FIN: {
        const stream = this.streams.get(sid);
        if (stream && !stream.remoteClosed) {
          stream.remoteClosed = true;
          this.sink.end?.(sid);
        }
        return;
      }
      case SmuxCommand.NOP:
        this.nopsIn++;
        return;
      default:
        return;
    }
  }

  private onData(sid: number, chunk: Buffer): void {
    const stream = this.streams.get(sid);
    if (!stream || this.closed) {
      this.droppedBytes += chunk.length;
      return;
    }
    stream.queue.push(chunk);
    stream.queued += chunk.length;
    this.buffered += chunk.length;
    this.sink.readable?.(sid);
  }
}
