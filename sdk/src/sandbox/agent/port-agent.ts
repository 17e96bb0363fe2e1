/**
 * The sandbox's stand-in for amazon-ssm-agent's port plugin, for one session: it opens the handshake, waits for
 * the client's answer, sends HandshakeComplete, then dials the instance's port and relays bytes both ways over
 * the reliable channel. By default it keeps the real agent's limits: it reads at most 1024 bytes per message and
 * pauses 1 ms between messages (reference §8), which caps a session below ~1 MB/s per direction.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MuxStreams, SMUX_KEEPALIVE } from '../../ssm/mux-streams.js';
import {
  FlagValue,
  MessageFlags,
  MessageType,
  PayloadType,
  type IClientMessage
} from '../../ssm/message.js';
import {
  ActionStatus,
  ActionType,
  compareVersions,
  ClientFeatureVersion,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeFlag,
  parseFlag,
  parseHandshakeResponse
} from '../../ssm/payloads.js';
import { RESEND_INTERVAL_MS, ReliableChannel } from '../../ssm/reliability.js';

/** The agent version the sandbox announces (3.3 line, which negotiates smux without keep-alive). */
export const SANDBOX_AGENT_VERSION = '3.3.2299.0';
/** What the real agent reads from the port per message, and sleeps between messages. */
export const AGENT_READ_BYTES = 1024;
export const AGENT_SEND_GAP_MS = 1;
/** Without pacing, messages carry up to this many bytes (what the plugin accepts). */
export const UNPACED_READ_BYTES = 64 * 1024;

export interface IPortAgentOptions {
  sessionId: string;
  /** Where the session's port lives (the instance's loopback). */
  host: string;
  port: number;
  /** The document's parameters as the handshake carries them (`portNumber`, `type`, `host`). */
  properties: Record<string, string>;
  /** Keep the real agent's 1 KiB / 1 ms pacing (default true). */
  pacing?: boolean;
  agentVersion?: string;
  /** Puts a frame on the client's WebSocket (dropped by the caller while the client is away). */
  transmit(frame: Buffer): void;
  /** The session is over; `reason` goes into channel_closed. */
  onClosed(reason: string): void;
}

type AgentState = 'handshaking' | 'connecting' | 'connected' | 'closed';

/** One port session on the agent side. Call {@link start}, feed client frames to {@link receiveFrame}. */
export class PortAgent {
  private readonly options: IPortAgentOptions;
  private readonly channel: ReliableChannel;
  private readonly ticker: NodeJS.Timeout;
  private readonly readBytes: number;
  private readonly pacing: boolean;
  private state: AgentState = 'handshaking';
  private socket?: Socket;
  private handshakeStarted = 0;
  /** Port bytes waiting to be cut into messages. */
  private readonly backlog: Buffer[] = [];
  private backlogBytes = 0;
  private pumping = false;
  private portEnded = false;
  /** The smux server of a multiplexed port-forwarding session. */
  private mux?: MuxStreams;
  private readonly drainWaiters: Array<() => void> = [];

  constructor(options: IPortAgentOptions) {
    this.options = options;
    this.pacing = options.pacing ?? true;
    this.readBytes = this.pacing ? AGENT_READ_BYTES : UNPACED_READ_BYTES;
    this.channel = new ReliableChannel(
      {
        transmit: frame => this.options.transmit(frame),
        deliver: message => this.deliver(message),
        drain: () => void this.pump()
      },
      { role: 'agent', decode: { digest: 'ignore', allowUnknownTypes: true } }
    );
    this.ticker = setInterval(
      () => this.channel.tick(performance.now()),
      RESEND_INTERVAL_MS
    );
    this.ticker.unref();
  }

  /** Sends the HandshakeRequest (output seq 0). */
  start(): void {
    this.handshakeStarted = performance.now();
    const properties = this.options.properties;
    const request = encodeHandshakeRequest({
      AgentVersion: this.options.agentVersion ?? SANDBOX_AGENT_VERSION,
      RequestedClientActions: [
        {
          ActionType: ActionType.SessionType,
          ActionParameters: { SessionType: 'Port', Properties: properties }
        }
      ]
    });
    this.channel.send(
      PayloadType.HandshakeRequest,
      request,
      performance.now(),
      MessageFlags.Syn
    );
  }

  /** A binary frame from the client. Malformed frames are dropped, as the service would not deliver them. */
  receiveFrame(frame: Buffer): void {
    if (this.state === 'closed') {
      return;
    }
    try {
      this.channel.receiveFrame(frame, performance.now());
    } catch {
      // a corrupt frame: the client resends it
    }
  }

  /** The client's WebSocket went away / came back: stop or restart transmitting (unacked data is replayed). */
  clientDisconnected(): void {
    this.channel.transportDown();
  }

  clientReconnected(): void {
    this.channel.transportUp(performance.now());
  }

  get stats(): ReliableChannel['stats'] {
    return this.channel.stats;
  }

  private deliver(message: IClientMessage): void {
    switch (message.payloadType) {
      case PayloadType.HandshakeResponse:
        this.onHandshakeResponse(message.payload);
        return;
      case PayloadType.Output:
        if (this.state === 'handshaking') {
          return; // the real agent acks and discards data sent before HandshakeComplete
        }
        if (this.mux) {
          this.mux.receive(message.payload);
          return;
        }
        if (this.socket && !this.socket.write(message.payload)) {
          this.channel.holdDelivery();
          this.socket.once('drain', () => this.channel.releaseDelivery());
        }
        return;
      case PayloadType.Flag:
        this.onFlag(parseFlag(message.payload));
        return;
      default:
        return;
    }
  }

  private onHandshakeResponse(payload: Buffer): void {
    if (this.state !== 'handshaking') {
      return;
    }
    const response = parseHandshakeResponse(payload);
    const refused = response.ProcessedClientActions.find(
      action => action.ActionStatus !== ActionStatus.Success
    );
    if (refused) {
      this.close(
        `the client did not accept ${refused.ActionType}: ${refused.Error || 'no reason given'}`
      );
      return;
    }
    const elapsedNs = Math.round(
      (performance.now() - this.handshakeStarted) * 1e6
    );
    this.channel.send(
      PayloadType.HandshakeComplete,
      encodeHandshakeComplete({
        HandshakeTimeToComplete: elapsedNs,
        CustomerMessage: ''
      }),
      performance.now()
    );
    if (
      this.options.properties.type === 'LocalPortForwarding' &&
      compareVersions(
        response.ClientVersion,
        ClientFeatureVersion.TcpMultiplexing
      ) >= 0
    ) {
      this.serveMultiplexed(response.ClientVersion);
      return;
    }
    this.state = 'connecting';
    this.channel.refuseDelivery();
    this.dial();
  }

  /** smux server over the channel: every stream the client opens is a new TCP connection to the port. */
  private serveMultiplexed(clientVersion: string): void {
    this.state = 'connected';
    // like the agent, keep smux keep-alive on for clients that still run it (up to 1.2.331.0)
    const keepAlive =
      compareVersions(
        clientVersion,
        ClientFeatureVersion.SmuxKeepAliveDisabled
      ) <= 0
        ? SMUX_KEEPALIVE
        : undefined;
    this.mux = new MuxStreams(
      {
        send: bytes => {
          this.fromPort(bytes);
          return this.backlogBytes > 8 * this.readBytes
            ? new Promise(resolve => this.drainWaiters.push(resolve))
            : Promise.resolve();
        },
        pauseInput: () => this.channel.holdDelivery(),
        resumeInput: () => this.channel.releaseDelivery()
      },
      'server',
      keepAlive
    );
    this.mux.on('error', (error: Error) => this.close(error.message));
    this.mux.on('stream', (stream: Duplex) => {
      const socket = connect({
        host: this.options.host,
        port: this.options.port
      });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        stream.pipe(socket);
        socket.pipe(stream);
      });
      socket.once('error', () => {
        this.channel.send(
          PayloadType.Flag,
          encodeFlag(FlagValue.ConnectToPortError),
          performance.now()
        );
        stream.destroy();
      });
      stream.once('error', () => socket.destroy());
      stream.once('close', () => socket.destroy());
    });
  }

  private dial(): void {
    const socket = connect({
      host: this.options.host,
      port: this.options.port
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.state = 'connected';
      this.channel.acceptDelivery();
    });
    socket.on('data', chunk => this.fromPort(chunk));
    socket.once('end', () => {
      this.portEnded = true;
      void this.pump();
    });
    socket.once('error', error => {
      if (this.state === 'connecting') {
        this.channel.send(
          PayloadType.Flag,
          encodeFlag(FlagValue.ConnectToPortError),
          performance.now()
        );
        this.close(
          `cannot connect to port ${this.options.port}: ${error.message}`
        );
      }
    });
    socket.once('close', () => {
      this.portEnded = true;
      void this.pump();
    });
  }

  private fromPort(chunk: Buffer): void {
    this.backlog.push(chunk);
    this.backlogBytes += chunk.length;
    if (this.backlogBytes > 8 * this.readBytes) {
      this.socket?.pause();
    }
    void this.pump();
  }

  private takeChunk(): Buffer {
    const first = this.backlog[0];
    if (first.length <= this.readBytes) {
      this.backlog.shift();
      this.backlogBytes -= first.length;
      return first;
    }
    this.backlog[0] = first.subarray(this.readBytes);
    this.backlogBytes -= this.readBytes;
    return first.subarray(0, this.readBytes);
  }

  /** Cuts the port's bytes into messages while the window has room, with the agent's pacing if on. */
  private async pump(): Promise<void> {
    if (this.pumping || this.state === 'closed') {
      return;
    }
    this.pumping = true;
    try {
      while (
        this.backlog.length > 0 &&
        this.channel.canSend() &&
        !this.isClosed
      ) {
        this.channel.send(
          PayloadType.Output,
          this.takeChunk(),
          performance.now()
        );
        if (this.pacing) {
          await new Promise(resolve => setTimeout(resolve, AGENT_SEND_GAP_MS));
        }
      }
      if (this.backlogBytes <= 2 * this.readBytes) {
        this.socket?.resume();
        this.drainWaiters.splice(0).forEach(resolve => resolve());
      }
      if (this.portEnded && this.backlog.length === 0) {
        await this.finishAfterAcks();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The port closed: let the client acknowledge what is in flight (at most 2 s, like the agent), then end. */
  private async finishAfterAcks(): Promise<void> {
    const deadline = performance.now() + 2000;
    while (
      this.channel.outstanding > 0 &&
      performance.now() < deadline &&
      !this.isClosed
    ) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    this.close('port closed');
  }

  private onFlag(flag: number): void {
    if (
      flag === FlagValue.TerminateSession ||
      flag === FlagValue.DisconnectToPort
    ) {
      this.close(
        flag === FlagValue.TerminateSession
          ? 'terminated by the client'
          : 'disconnected from the port by the client'
      );
    }
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Ends the session: the port connection, the timers and the channel. */
  close(reason: string): void {
    if (this.state === 'closed') {
      return;
    }
    this.state = 'closed';
    clearInterval(this.ticker);
    this.socket?.destroy();
    this.mux?.close();
    this.drainWaiters.splice(0).forEach(resolve => resolve());
    this.channel.close();
    this.options.onClosed(reason);
  }
}

/** Types the service must not forward to clients (the agent's own state reports). */
export function isAgentInternal(message: IClientMessage): boolean {
  return message.messageType === MessageType.AgentSessionState;
}
