/**
 * The sandbox's Session Manager: StartSession / ResumeSession / TerminateSession, and the data-channel WebSocket
 * endpoint (`/v1/data-channel/<SessionId>`) that relays a client to its session's agent. Like the service, it checks
 * the token of the open message, keeps the session alive across client reconnects (ResumeSession gives a new
 * token; unacknowledged messages are replayed by both parties), and sends `channel_closed` when the session ends.
 */
import {
  createHmac,
  randomBytes,
  randomUUID,
  timingSafeEqual
} from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import {
  encodeClientMessage,
  MessageFlags,
  MessageType,
  PayloadType
} from '../ssm/message.js';
import { encodeChannelClosed } from '../ssm/payloads.js';
import { corkUntilNextTick } from '../ssm/ws-transport.js';
import { PortAgent } from './agent/port-agent.js';
import {
  AwsServiceError,
  type ICallContext,
  type JsonOperation
} from './aws-json-server.js';
import { FaultyLink, type IFaultPlan } from './faults.js';

/** Where a session's port is, on the sandbox host. */
export interface ISessionEndpoint {
  host: string;
  port: number;
}

export interface ISessionManagerOptions {
  /** Base of the StreamUrl, e.g. `ws://127.0.0.1:PORT` (known once the server listens). */
  streamBase: () => string;
  /** The endpoint behind `portNumber` (and `host`) of a managed instance, or undefined when it is not connected. */
  resolveTarget: (
    instanceId: string,
    portNumber: number,
    host?: string
  ) => ISessionEndpoint | undefined;
  /** Keep the real agent's pacing (default true). */
  pacing?: boolean;
  /**
   * The service closes each client WebSocket with 1000 "Bye" after this long (default about an hour, as AWS
   * does, reference §8); the client is expected to resume. 0 never closes.
   */
  webSocketLifetimeMs?: number;
}

/** A session to an endpoint of the sandbox's own (not a managed instance's port): see `startRelay`. */
export interface IRelayOptions {
  /** What the session is to (listed as its target), e.g. a space ARN. */
  target: string;
  endpoint: ISessionEndpoint;
  /** The handshake's session properties (`{portNumber: '22'}` for a stream carrying SSH). */
  properties: Record<string, string>;
  /**
   * Give the StreamUrl SigV4-presign-shaped query parameters that the data-channel upgrade checks (403 when one
   * is missing or altered, or the URL is older than `expiresSeconds`).
   */
  presign?: { region: string; accessKeyId?: string; expiresSeconds?: number };
  /** The session ended (terminated, closed by either side, the sandbox shutting down). */
  onEnded?: (reason: string) => void;
}

/** What StartSession answers. */
export interface ISessionGrant {
  SessionId: string;
  StreamUrl: string;
  TokenValue: string;
}

/** X-Amz-Expires of presigned stream URLs, as AWS's. */
export const PRESIGN_EXPIRES_SECONDS = 60;

/** How long AWS keeps a data-channel WebSocket open before closing it with 1000 "Bye". */
export const WEBSOCKET_LIFETIME_MS = 60 * 60 * 1000;

interface IDocumentSpec {
  /** Handshake properties from the StartSession parameters. */
  properties(parameters: Record<string, string>): Record<string, string>;
}

/** The port documents of reference §1, and the properties their sessions announce in the handshake. */
const DOCUMENTS: Record<string, IDocumentSpec> = {
  'AWS-StartSSHSession': {
    properties: p => ({ portNumber: p.portNumber ?? '22' })
  },
  // the plugin reads the port it listens on from localPortNumber of these properties, not from its arguments
  'AWS-StartPortForwardingSession': {
    properties: p => ({
      portNumber: p.portNumber ?? '80',
      type: 'LocalPortForwarding',
      localPortNumber: p.localPortNumber ?? '0'
    })
  },
  'AWS-StartPortForwardingSessionToRemoteHost': {
    properties: p => ({
      host: p.host ?? '',
      portNumber: p.portNumber ?? '80',
      type: 'LocalPortForwarding',
      localPortNumber: p.localPortNumber ?? '0'
    })
  }
};

interface ISession {
  id: string;
  target: string;
  token: string;
  agent: PortAgent;
  client?: WebSocket;
  /** Closes `client` when its lifetime is over. */
  lifetime?: NodeJS.Timeout;
  started: boolean;
  status: 'Connecting' | 'Connected' | 'Disconnected' | 'Terminated';
  toAgent: FaultyLink;
  toClient: FaultyLink;
  presign?: NonNullable<IRelayOptions['presign']>;
  onEnded?: (reason: string) => void;
}

function firstValues(parameters: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  if (parameters && typeof parameters === 'object') {
    for (const [key, value] of Object.entries(
      parameters as Record<string, unknown>
    )) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') {
        values[key] = first;
      }
    }
  }
  return values;
}

/** Sessions of the sandbox and their data channels. */
export class SessionManager {
  /** Faults applied to every session's frames; tests change it at will. */
  faults: IFaultPlan = {};
  /** How long a client WebSocket stays open before the service closes it (see the option); tests shorten it. */
  webSocketLifetimeMs: number;
  /** The time presigned stream URLs are stamped and checked with; tests move it to expire a URL. */
  now: () => number = Date.now;
  private readonly sessions = new Map<string, ISession>();
  /** Signs presigned stream URLs; never leaves the sandbox. */
  private readonly presignSecret = randomBytes(32);
  private readonly sockets = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false
  });

  constructor(private readonly options: ISessionManagerOptions) {
    this.webSocketLifetimeMs =
      options.webSocketLifetimeMs ?? WEBSOCKET_LIFETIME_MS;
  }

  /** The JSON 1.1 operations to merge into the sandbox's SSM service. */
  operations(): Record<string, JsonOperation> {
    return {
      StartSession: (input, call) => this.start(input, call),
      ResumeSession: input => this.resume(input),
      TerminateSession: input => this.terminate(input)
    };
  }

  private streamUrl(session: ISession): string {
    const cell = randomBytes(12).toString('base64url');
    const path = `/v1/data-channel/${session.id}`;
    const query = new URLSearchParams({
      role: 'publish_subscribe',
      'cell-number': cell
    });
    if (session.presign) {
      const stamp = new Date(this.now())
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      query.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
      query.set(
        'X-Amz-Credential',
        `${session.presign.accessKeyId ?? 'ASIASANDBOXSESSION00'}/${stamp.slice(0, 8)}/${session.presign.region}/ssmmessages/aws4_request`
      );
      query.set('X-Amz-Date', stamp);
      query.set(
        'X-Amz-Expires',
        String(session.presign.expiresSeconds ?? PRESIGN_EXPIRES_SECONDS)
      );
      query.set('X-Amz-SignedHeaders', 'host');
      query.set('X-Amz-Signature', this.presignature(path, query));
    }
    return `${this.options.streamBase()}${path}?${query.toString()}`;
  }

  /** HMAC over the path and every query parameter but the signature, in key order. */
  private presignature(path: string, query: URLSearchParams): string {
    const canonical = [...query.entries()]
      .filter(([key]) => key !== 'X-Amz-Signature')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    return createHmac('sha256', this.presignSecret)
      .update(`${path}\n${canonical}`)
      .digest('hex');
  }

  /** Whether a presigned session's upgrade URL is the one handed out, unaltered and not expired. */
  private presignValid(requestUrl: string): boolean {
    const url = new URL(requestUrl, 'ws://sandbox');
    const query = url.searchParams;
    const required = [
      'role',
      'cell-number',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature'
    ];
    if (required.some(key => query.getAll(key).length !== 1)) {
      return false;
    }
    const expected = Buffer.from(this.presignature(url.pathname, query));
    const given = Buffer.from(query.get('X-Amz-Signature') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return false;
    }
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
      query.get('X-Amz-Date') ?? ''
    );
    if (!date) {
      return false;
    }
    const signedAt = Date.UTC(
      Number(date[1]),
      Number(date[2]) - 1,
      Number(date[3]),
      Number(date[4]),
      Number(date[5]),
      Number(date[6])
    );
    return this.now() <= signedAt + Number(query.get('X-Amz-Expires')) * 1000;
  }

  /**
   * A session whose agent relays to `endpoint` (an SSH server of the sandbox's own, e.g. a space's remote access),
   * announced in the handshake as a port session with `properties`.
   */
  startRelay(options: IRelayOptions): ISessionGrant {
    const session = this.createSession(
      options.target,
      options.endpoint,
      options.properties,
      'sandbox'
    );
    session.presign = options.presign;
    session.onEnded = options.onEnded;
    return {
      SessionId: session.id,
      TokenValue: session.token,
      StreamUrl: this.streamUrl(session)
    };
  }

  private createSession(
    target: string,
    endpoint: ISessionEndpoint,
    properties: Record<string, string>,
    idPrefix: string
  ): ISession {
    const id = `${idPrefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
    const session: ISession = {
      id,
      target,
      token: randomBytes(48).toString('base64'),
      started: false,
      status: 'Connecting',
      agent: new PortAgent({
        sessionId: id,
        host: endpoint.host,
        port: endpoint.port,
        properties,
        pacing: this.options.pacing,
        transmit: frame => this.toClient(session, frame),
        onClosed: reason => this.ended(session, reason)
      }),
      toAgent: new FaultyLink(
        () => this.faults,
        () => this.dropClient(session),
        false
      ),
      toClient: new FaultyLink(
        () => this.faults,
        () => this.dropClient(session),
        true
      )
    };
    this.sessions.set(id, session);
    return session;
  }

  private start(input: Record<string, unknown>, call: ICallContext): unknown {
    const target = input.Target;
    if (typeof target !== 'string' || target.length === 0) {
      throw new AwsServiceError(
        'ValidationException',
        "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null"
      );
    }
    const documentName =
      typeof input.DocumentName === 'string'
        ? input.DocumentName
        : 'SSM-SessionManagerRunShell';
    const document = DOCUMENTS[documentName];
    if (!document) {
      throw new AwsServiceError(
        'InvalidDocument',
        `Document ${documentName} is not supported by the sandbox (port sessions only).`
      );
    }
    const parameters = firstValues(input.Parameters);
    const properties = document.properties(parameters);
    const endpoint = this.options.resolveTarget(
      target,
      Number(properties.portNumber),
      properties.host || undefined
    );
    if (!endpoint) {
      throw new AwsServiceError(
        'TargetNotConnected',
        `${target} is not connected.`
      );
    }
    const session = this.createSession(
      target,
      endpoint,
      properties,
      call.accessKeyId ? 'sandbox' : 'anonymous'
    );
    return {
      SessionId: session.id,
      TokenValue: session.token,
      StreamUrl: this.streamUrl(session)
    };
  }

  private known(input: Record<string, unknown>): ISession {
    const id = input.SessionId;
    const session = typeof id === 'string' ? this.sessions.get(id) : undefined;
    if (!session) {
      throw new AwsServiceError(
        'DoesNotExistException',
        `Session ${String(id)} does not exist.`
      );
    }
    return session;
  }

  private resume(input: Record<string, unknown>): unknown {
    const session = this.known(input);
    if (session.status === 'Terminated') {
      return { SessionId: session.id, TokenValue: null, StreamUrl: null };
    }
    session.token = randomBytes(48).toString('base64');
    return {
      SessionId: session.id,
      TokenValue: session.token,
      StreamUrl: this.streamUrl(session)
    };
  }

  private terminate(input: Record<string, unknown>): unknown {
    const session = this.known(input);
    session.agent.close('terminated with TerminateSession');
    return { SessionId: session.id };
  }

  /** Handles an HTTP upgrade; returns false when the path is not a data channel. */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer
  ): boolean {
    const match = /^\/v1\/data-channel\/([^/?]+)/.exec(request.url ?? '');
    if (!match) {
      return false;
    }
    const session = this.sessions.get(match[1]);
    if (!session || session.status === 'Terminated') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    if (session.presign && !this.presignValid(request.url ?? '')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.sockets.handleUpgrade(request, socket, head, client =>
      this.authenticate(session, client)
    );
    return true;
  }

  private authenticate(session: ISession, client: WebSocket): void {
    const timer = setTimeout(
      () => client.close(1008, 'no open message'),
      10_000
    );
    client.once('close', () => clearTimeout(timer));
    client.once('message', (data, isBinary) => {
      clearTimeout(timer);
      let token: unknown;
      try {
        token = isBinary
          ? undefined
          : (JSON.parse(String(data)) as { TokenValue?: unknown }).TokenValue;
      } catch {
        token = undefined;
      }
      if (token !== session.token || session.status === 'Terminated') {
        client.close(1008, 'invalid token');
        return;
      }
      this.attach(session, client);
    });
  }

  private attach(session: ISession, client: WebSocket): void {
    session.client?.terminate();
    session.client = client;
    session.status = 'Connected';
    clearTimeout(session.lifetime);
    if (this.webSocketLifetimeMs > 0) {
      session.lifetime = setTimeout(
        () => client.close(1000, 'Bye'),
        this.webSocketLifetimeMs
      );
      session.lifetime.unref();
    }
    client.on('message', (data, isBinary) => {
      if (isBinary && session.client === client) {
        session.toAgent.pass(data as Buffer, frame =>
          session.agent.receiveFrame(frame)
        );
      }
    });
    client.on('close', () => {
      if (session.client === client) {
        clearTimeout(session.lifetime);
        session.client = undefined;
        if (session.status === 'Connected') {
          session.status = 'Disconnected';
          session.agent.clientDisconnected();
        }
      }
    });
    if (session.started) {
      session.agent.clientReconnected();
    } else {
      session.started = true;
      session.agent.start();
    }
  }

  private toClient(session: ISession, frame: Buffer): void {
    const client = session.client;
    if (client && client.readyState === WebSocket.OPEN) {
      session.toClient.pass(frame, bytes => {
        if (client.readyState === WebSocket.OPEN) {
          corkUntilNextTick(client);
          client.send(bytes);
        }
      });
    }
  }

  private dropClient(session: ISession): void {
    session.client?.terminate();
  }

  private ended(session: ISession, reason: string): void {
    session.status = 'Terminated';
    session.onEnded?.(reason);
    const client = session.client;
    if (!client || client.readyState !== WebSocket.OPEN) {
      return;
    }
    const payload = encodeChannelClosed({
      MessageId: randomUUID(),
      CreatedDate: new Date().toISOString(),
      DestinationId: session.id,
      SessionId: session.id,
      MessageType: MessageType.ChannelClosed,
      SchemaVersion: 1,
      Output: reason
    });
    const frame = encodeClientMessage({
      messageType: MessageType.ChannelClosed,
      createdDate: Date.now(),
      sequenceNumber: 0,
      flags: MessageFlags.SynFin,
      messageId: randomUUID(),
      payloadType: PayloadType.Output,
      payload
    });
    client.send(frame, () => client.close(1000, 'Bye'));
  }

  /** The sessions started so far, newest last (what DescribeSessions would list). */
  list(): Array<{ sessionId: string; target: string; status: string }> {
    return [...this.sessions.values()].map(session => ({
      sessionId: session.id,
      target: session.target,
      status: session.status
    }));
  }

  /** Closes every client WebSocket the way the service does after about an hour; clients resume. */
  closeWebSockets(code = 1000, reason = 'Bye'): void {
    for (const session of this.sessions.values()) {
      session.client?.close(code, reason);
    }
  }

  /** Ends every session (sandbox shutdown). */
  closeAll(): void {
    for (const session of this.sessions.values()) {
      clearTimeout(session.lifetime);
      session.agent.close('the sandbox is shutting down');
      session.client?.terminate();
    }
    this.sockets.close();
  }
}
