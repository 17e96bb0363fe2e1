/**
 * A client Session Manager data channel over WebSocket: the open message, the handshake, the reliable channel
 * (acks, resends, reordering, the ack-clocked window), resume after a dropped WebSocket (ResumeSession, reopen,
 * replay what was not acknowledged), and the end of the session (channel_closed, Flag, TerminateSession).
 * Port payloads come out as `data` events; {@link DataChannelSession.write} sends bytes with backpressure.
 */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { OperationError } from '../errors.js';
import {
  FlagValue,
  MessageType,
  PayloadType,
  type IClientMessage
} from './message.js';
import {
  ActionType,
  buildHandshakeResponse,
  CLIENT_VERSION,
  encodeFlag,
  encodeHandshakeResponse,
  parseChannelClosed,
  parseFlag,
  parseHandshakeComplete,
  parseHandshakeRequest,
  requestedSessionType,
  type IHandshakeRequest
} from './payloads.js';
import { RESEND_INTERVAL_MS, ReliableChannel } from './reliability.js';
import { DataChannelTransport } from './ws-transport.js';

/** What ResumeSession returned: a null token means the session is gone. */
export interface IResumeResult {
  tokenValue: string | null;
  streamUrl?: string;
}

export interface IDataChannelSessionOptions {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  /** Region and credentials to sign the WebSocket upgrade with. */
  region?: string;
  credentials?: AwsCredentialIdentityProvider;
  /** Calls ssm:ResumeSession. Without it a dropped WebSocket ends the session. */
  resume?: () => Promise<IResumeResult>;
  /** Calls ssm:TerminateSession when the session is closed by us. */
  terminate?: () => Promise<void>;
  clientVersion?: string;
  /** Messages in flight before write() waits for acks (default 64). */
  window?: number;
  /** Largest payload of one input message (default 8 KiB; the plugin sends 1 KiB). */
  maxPayloadBytes?: number;
  /** How long to keep trying to resume a dropped connection (default 60 s). */
  resumeTimeoutMs?: number;
  /** How long to wait for the handshake (default 30 s). */
  handshakeTimeoutMs?: number;
}

export type DataChannelErrorCode =
  'HANDSHAKE_TIMEOUT' | 'HANDSHAKE_REFUSED' | 'CHANNEL_CLOSED';

/** Port data kept for a caller that has not attached its `data` listener yet. */
const EARLY_DATA_LIMIT = 1024 * 1024;

/** Why a session could not be used or ended: one line for the user, a code for programs. */
export class DataChannelError extends OperationError {
  constructor(
    readonly code: DataChannelErrorCode,
    message: string,
    hint?: string
  ) {
    super(message, hint);
  }
}

/**
 * Events: `data` (Buffer, in order, exactly once), `flag` (number), `close` (reason: string) once at the end,
 * `reconnect` (attempt) and `reconnected` around a resume.
 */
export class DataChannelSession extends EventEmitter {
  readonly sessionId: string;
  readonly clientId = randomUUID();
  /** What the agent asked for in its handshake. */
  agentVersion = '';
  sessionType = '';
  properties: Record<string, string> = {};

  private readonly options: IDataChannelSessionOptions;
  private readonly channel: ReliableChannel;
  private readonly ticker: NodeJS.Timeout;
  private transport?: DataChannelTransport;
  private closed = false;
  private closing = false;
  private handshakeDone = false;
  private handshakeWaiter?: {
    resolve: () => void;
    reject: (error: Error) => void;
  };
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;
  private heldForEarly = false;

  private constructor(options: IDataChannelSessionOptions) {
    super();
    this.options = options;
    this.sessionId = options.sessionId;
    this.channel = new ReliableChannel(
      {
        transmit: frame => this.transport?.send(frame),
        deliver: message => this.deliver(message),
        control: message => this.control(message)
      },
      { role: 'client', window: options.window }
    );
    this.ticker = setInterval(
      () => this.channel.tick(performance.now()),
      RESEND_INTERVAL_MS
    );
    this.ticker.unref();
    this.on('newListener', (event: string) => {
      if (event === 'data') {
        setImmediate(() => this.flushEarly());
      }
    });
  }

  /** Connects, completes the handshake, and resolves with a session ready for port data. */
  static async open(
    options: IDataChannelSessionOptions
  ): Promise<DataChannelSession> {
    const session = new DataChannelSession(options);
    const handshake = new Promise<void>(
      (resolve, reject) => (session.handshakeWaiter = { resolve, reject })
    );
    const timeoutMs = options.handshakeTimeoutMs ?? 30_000;
    const timer = setTimeout(
      () =>
        session.handshakeWaiter?.reject(
          new DataChannelError(
            'HANDSHAKE_TIMEOUT',
            `the agent did not complete the handshake within ${timeoutMs / 1000} s`
          )
        ),
      timeoutMs
    );
    try {
      await session.connect(options.streamUrl, options.tokenValue);
      await handshake;
      return session;
    } catch (error) {
      session.shutdown(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(streamUrl: string, tokenValue: string): Promise<void> {
    const transport = await DataChannelTransport.open({
      streamUrl,
      tokenValue,
      clientId: this.clientId,
      clientVersion: this.options.clientVersion ?? CLIENT_VERSION,
      region: this.options.region,
      credentials: this.options.credentials
    });
    this.transport = transport;
    transport.on('frame', (frame: Buffer) => {
      try {
        this.channel.receiveFrame(frame, performance.now());
      } catch {
        // a corrupt or foreign frame: the agent resends what matters
      }
    });
    transport.on('close', () => {
      if (this.transport === transport) {
        this.transport = undefined;
        this.channel.transportDown();
        void this.onDropped();
      }
    });
    this.channel.transportUp(performance.now());
  }

  private async onDropped(): Promise<void> {
    if (this.closed || this.closing) {
      return;
    }
    if (!this.options.resume) {
      this.shutdown('the connection to the data channel dropped');
      return;
    }
    const deadline = Date.now() + (this.options.resumeTimeoutMs ?? 60_000);
    for (let attempt = 1; !this.closed; attempt++) {
      this.emit('reconnect', attempt);
      try {
        const resumed = await this.options.resume();
        if (resumed.tokenValue === null) {
          this.shutdown(
            'the session timed out or was terminated (ResumeSession returned no token)'
          );
          return;
        }
        await this.connect(
          resumed.streamUrl || this.options.streamUrl,
          resumed.tokenValue
        );
        this.emit('reconnected', attempt);
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          this.shutdown(
            `could not resume the session after ${attempt} attempts: ${error instanceof Error ? error.message : String(error)}`
          );
          return;
        }
        const delay =
          Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)) *
          (0.5 + Math.random() / 2);
        await new Promise(resolve => setTimeout(resolve, delay));
      }
    }
  }

  private deliver(message: IClientMessage): void {
    switch (message.payloadType) {
      case PayloadType.HandshakeRequest:
        this.onHandshakeRequest(parseHandshakeRequest(message.payload));
        return;
      case PayloadType.HandshakeComplete:
        parseHandshakeComplete(message.payload);
        this.handshakeDone = true;
        this.handshakeWaiter?.resolve();
        return;
      case PayloadType.Output:
        if (message.payload.length > 0) {
          this.emitData(message.payload);
        }
        return;
      case PayloadType.Flag:
        this.emit('flag', parseFlag(message.payload));
        return;
      default:
        return;
    }
  }

  /**
   * Port data can arrive in the same WebSocket read as HandshakeComplete, before the caller of open() had a
   * chance to listen: keep it until a `data` listener is added (bounded; beyond that, stop acknowledging).
   */
  private emitData(chunk: Buffer): void {
    if (this.listenerCount('data') > 0 && this.early.length === 0) {
      this.emit('data', chunk);
      return;
    }
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes > EARLY_DATA_LIMIT && !this.heldForEarly) {
      this.heldForEarly = true;
      this.channel.holdDelivery();
    }
  }

  private flushEarly(): void {
    if (this.listenerCount('data') === 0) {
      return;
    }
    const chunks = this.early.splice(0);
    this.earlyBytes = 0;
    chunks.forEach(chunk => this.emit('data', chunk));
    if (this.heldForEarly) {
      this.heldForEarly = false;
      this.channel.releaseDelivery();
    }
  }

  private onHandshakeRequest(request: IHandshakeRequest): void {
    this.agentVersion = request.AgentVersion;
    const sessionType = requestedSessionType(request);
    this.sessionType = sessionType?.SessionType ?? '';
    this.properties =
      (sessionType?.Properties as Record<string, string> | null) ?? {};
    const response = buildHandshakeResponse(request, {
      clientVersion: this.options.clientVersion,
      supportedSessionTypes: ['Port']
    });
    this.channel.send(
      PayloadType.HandshakeResponse,
      encodeHandshakeResponse(response),
      performance.now()
    );
    const kms = request.RequestedClientActions.find(
      action => action.ActionType === ActionType.KMSEncryption
    );
    const refusal = kms
      ? 'the session asks for KMS encryption, which sm-ssh does not support (port sessions are not encrypted; check the session document)'
      : response.Errors?.join('; ');
    if (refusal) {
      this.handshakeWaiter?.reject(
        new DataChannelError('HANDSHAKE_REFUSED', refusal)
      );
    }
  }

  private control(message: IClientMessage): void {
    if (message.messageType === MessageType.ChannelClosed) {
      const closed = parseChannelClosed(message.payload);
      this.shutdown(closed.Output || 'the session ended');
    }
  }

  /** True once {@link close} was called: the session is ending (or ended) because we asked. */
  get endedByClient(): boolean {
    return this.closing;
  }

  /** True until the session has ended. */
  get isOpen(): boolean {
    return !this.closed;
  }

  get stats(): ReliableChannel['stats'] {
    return this.channel.stats;
  }

  /** Sends bytes as Output messages; resolves when they are accepted into the window (not yet acknowledged). */
  async write(bytes: Uint8Array): Promise<void> {
    const max = this.options.maxPayloadBytes ?? 8192;
    for (let offset = 0; offset < bytes.length; offset += max) {
      if (this.closed) {
        throw new DataChannelError('CHANNEL_CLOSED', 'the session has ended');
      }
      if (!this.channel.canSend()) {
        await this.channel.whenCanSend();
      }
      this.channel.send(
        PayloadType.Output,
        bytes.subarray(offset, Math.min(bytes.length, offset + max)),
        performance.now()
      );
    }
  }

  /** Resolves when every message sent so far is acknowledged (or the session ended). */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      !this.closed &&
      this.channel.outstanding > 0 &&
      Date.now() < deadline
    ) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
  }

  /** Stops delivering data (and so acknowledging it) until {@link resumeDelivery}: backpressure from a slow reader. */
  pauseDelivery(): void {
    this.channel.holdDelivery();
  }

  resumeDelivery(): void {
    this.channel.releaseDelivery();
  }

  /** Ends the session: Flag TerminateSession to the agent, then ssm:TerminateSession. */
  async close(reason = 'closed by the client'): Promise<void> {
    if (this.closed || this.closing) {
      return;
    }
    this.closing = true;
    if (this.handshakeDone && this.transport?.isOpen) {
      this.channel.send(
        PayloadType.Flag,
        encodeFlag(FlagValue.TerminateSession),
        performance.now()
      );
      await this.flush(2_000);
    }
    await this.options.terminate?.().catch(() => undefined);
    this.shutdown(reason);
  }

  private shutdown(reason: string): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.ticker);
    this.channel.close();
    this.transport?.close(1000, 'Bye');
    this.transport = undefined;
    this.handshakeWaiter?.reject(
      new DataChannelError('CHANNEL_CLOSED', reason)
    );
    this.emit('close', reason);
  }
}
