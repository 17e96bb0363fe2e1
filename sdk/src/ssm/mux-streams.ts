/**
 * TCP-like streams over one data channel with smux v1 (reference §6): each stream is a Node `Duplex`. Backpressure
 * runs end to end: a stream whose reader is slow leaves its data queued in smux; once smux holds
 * `maxReceiveBuffer` unread bytes the layer below stops taking (and acknowledging) the peer's messages, so the
 * peer's window stops it. Writes wait while more than `HIGH_WATER_BYTES` are queued for the data channel.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { SmuxSession } from './smux.js';

/** What the streams need from the data channel below. */
export interface IMuxTransport {
  /** Sends bytes to the peer; resolves once the channel has taken them (its window had room). */
  send(bytes: Buffer): Promise<void>;
  /** Stops delivering the peer's bytes (and acknowledging them) until {@link resumeInput}. */
  pauseInput(): void;
  resumeInput(): void;
}

/** smux keep-alive as xtaci's defaults run it, for peers that still expect it. */
export interface IMuxKeepAlive {
  /** Send a NOP this often (xtaci: 10 s). */
  intervalMs: number;
  /** Close the mux when nothing arrived for this long (xtaci: 30 s). */
  timeoutMs: number;
}

export const SMUX_KEEPALIVE: IMuxKeepAlive = {
  intervalMs: 10_000,
  timeoutMs: 30_000
};

/** Bytes queued for the data channel before stream writes wait. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Largest payload handed to the data channel at once (one smux frame and its header fit). */
const SEND_BATCH_BYTES = 64 * 1024;

interface IStreamState {
  duplex: Duplex;
  /** The reader asked for data and did not refuse the last push. */
  wanting: boolean;
}

/**
 * Events: `stream` (Duplex, streamId) when the peer opens one (server role); `error` for a broken mux.
 */
export class MuxStreams extends EventEmitter {
  private readonly mux: SmuxSession;
  private readonly streams = new Map<number, IStreamState>();
  private readonly outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  private sending = false;
  private inputPaused = false;
  private readonly waitingWriters: Array<() => void> = [];
  private closed = false;

  private keepAliveTimer?: NodeJS.Timeout;

  constructor(
    private readonly transport: IMuxTransport,
    role: 'client' | 'server',
    keepAlive?: IMuxKeepAlive
  ) {
    super();
    this.mux = new SmuxSession(
      {
        transmit: (header, body) =>
          this.enqueue(body ? [header, body] : [header]),
        accept: id => this.emit('stream', this.track(id).duplex, id),
        readable: id => this.pull(id),
        end: id => this.pull(id)
      },
      { role }
    );
    if (keepAlive) {
      this.startKeepAlive(keepAlive);
    }
  }

  private startKeepAlive({ intervalMs, timeoutMs }: IMuxKeepAlive): void {
    let framesSeen = this.mux.stats.framesIn;
    let silentSince = Date.now();
    this.keepAliveTimer = setInterval(() => {
      const frames = this.mux.stats.framesIn;
      if (frames !== framesSeen) {
        framesSeen = frames;
        silentSince = Date.now();
      } else if (Date.now() - silentSince >= timeoutMs) {
        const error = new Error(
          `the peer sent nothing for ${timeoutMs / 1000} s (smux keep-alive)`
        );
        this.close(error);
        this.emit('error', error);
        return;
      }
      this.mux.sendNop();
    }, intervalMs);
    this.keepAliveTimer.unref();
  }

  /** Bytes from the peer, in order. */
  receive(bytes: Buffer): void {
    if (this.closed) {
      return;
    }
    try {
      this.mux.receive(bytes);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
      this.emit('error', error);
      return;
    }
    this.checkInput();
  }

  /** Opens a stream to the session's port (client role). */
  open(): Duplex {
    return this.track(this.mux.openStream()).duplex;
  }

  /** Number of open streams. */
  get size(): number {
    return this.streams.size;
  }

  private track(id: number): IStreamState {
    const state: IStreamState = {
      wanting: false,
      duplex: new Duplex({
        read: () => {
          state.wanting = true;
          this.pull(id);
        },
        write: (chunk: Buffer, _encoding, callback) => {
          if (this.closed || !this.mux.hasStream(id)) {
            callback(new Error('the stream is closed'));
            return;
          }
          this.mux.write(id, chunk);
          this.whenWritable(callback);
        },
        final: callback => {
          // smux v1 has no half-close: FIN ends both directions (as in AWS's plugin), so the readable side
          // ends here too, after what was already received.
          this.mux.closeStream(id);
          this.streams.delete(id);
          state.duplex.push(null);
          this.checkInput();
          callback();
        },
        destroy: (error, callback) => {
          if (this.mux.hasStream(id) && !this.closed) {
            this.mux.closeStream(id);
          }
          this.streams.delete(id);
          this.checkInput();
          callback(error);
        }
      })
    };
    this.streams.set(id, state);
    return state;
  }

  private pull(id: number): void {
    const state = this.streams.get(id);
    if (!state) {
      return;
    }
    if (state.wanting) {
      for (const chunk of this.mux.read(id)) {
        state.wanting = state.duplex.push(chunk) && state.wanting;
      }
    }
    if (this.mux.isRemoteClosed(id) && this.mux.readableLength(id) === 0) {
      state.duplex.push(null);
    }
    this.checkInput();
  }

  private checkInput(): void {
    const wants = this.mux.wantsInput();
    if (!wants && !this.inputPaused) {
      this.inputPaused = true;
      this.transport.pauseInput();
    } else if (wants && this.inputPaused) {
      this.inputPaused = false;
      this.transport.resumeInput();
    }
  }

  private enqueue(pieces: Buffer[]): void {
    for (const piece of pieces) {
      this.outgoing.push(piece);
      this.outgoingBytes += piece.length;
    }
    void this.pump();
  }

  private whenWritable(callback: () => void): void {
    if (this.outgoingBytes < HIGH_WATER_BYTES) {
      callback();
    } else {
      this.waitingWriters.push(callback);
    }
  }

  private async pump(): Promise<void> {
    if (this.sending) {
      return;
    }
    this.sending = true;
    try {
      while (this.outgoing.length > 0 && !this.closed) {
        const batch: Buffer[] = [];
        let size = 0;
        while (
          this.outgoing.length > 0 &&
          size + this.outgoing[0].length <= SEND_BATCH_BYTES
        ) {
          const piece = this.outgoing.shift() as Buffer;
          batch.push(piece);
          size += piece.length;
        }
        if (batch.length === 0) {
          batch.push(this.outgoing.shift() as Buffer);
          size = batch[0].length;
        }
        this.outgoingBytes -= size;
        await this.transport.send(
          batch.length === 1 ? batch[0] : Buffer.concat(batch, size)
        );
        while (
          this.outgoingBytes < HIGH_WATER_BYTES / 2 &&
          this.waitingWriters.length > 0
        ) {
          (this.waitingWriters.shift() as () => void)();
        }
      }
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.sending = false;
    }
  }

  /** Ends every stream (with the error, if any) and the mux. */
  close(error?: Error): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.keepAliveTimer);
    this.mux.close();
    for (const state of this.streams.values()) {
      state.duplex.destroy(error);
    }
    this.streams.clear();
    this.waitingWriters.splice(0).forEach(callback => callback());
  }
}
