/**
 * The WebSocket under a Session Manager data channel: opens the StreamUrl exactly as StartSession/ResumeSession
 * returned it, signs the upgrade with SigV4 as current session-manager-plugin releases do (unless the URL is
 * already presigned), sends the open message with the token, then carries binary frames. Keeps the socket alive
 * with pings and reports the close code, so the session layer can resume.
 */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { signatureV4Sdk } from '../aws/sdk.js';
import { NodeSha256 } from '../aws/sha256.js';

/** The JSON text frame that opens a data channel (reference §2). */
export interface IOpenDataChannelMessage {
  MessageSchemaVersion: '1.0';
  RequestId: string;
  TokenValue: string;
  ClientId: string;
  ClientVersion: string;
}

export interface ITransportOptions {
  streamUrl: string;
  tokenValue: string;
  /** Fixed for the life of the client, reused on reconnect. */
  clientId: string;
  clientVersion: string;
  /** Region of the session, for the SigV4 signature of the upgrade request. */
  region?: string;
  /** Credentials to sign the upgrade with; without them the upgrade is sent unsigned. */
  credentials?: AwsCredentialIdentityProvider;
  /** WebSocket pings (the plugin pings every 5 minutes; we detect dead links sooner). */
  pingIntervalMs?: number;
  connectTimeoutMs?: number;
}

function isPresigned(url: URL): boolean {
  return [...url.searchParams.keys()].some(key =>
    key.toLowerCase().startsWith('x-amz-')
  );
}

/** SigV4 headers for the upgrade GET (service `ssmmessages`), or none. */
export async function upgradeHeaders(
  options: Pick<ITransportOptions, 'streamUrl' | 'region' | 'credentials'>
): Promise<Record<string, string>> {
  const url = new URL(options.streamUrl);
  if (!options.credentials || !options.region || isPresigned(url)) {
    return {};
  }
  const signer = new (signatureV4Sdk().SignatureV4)({
    service: 'ssmmessages',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256
  });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign({
    method: 'GET',
    protocol: url.protocol === 'wss:' ? 'https:' : 'http:',
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers: { host: url.host }
  });
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(signed.headers)) {
    if (key.toLowerCase() !== 'host') {
      headers[key] = String(value);
    }
  }
  return headers;
}

/** The TCP socket under a `ws` WebSocket (ws keeps it as `_socket`, without a public accessor). */
function rawSocket(socket: WebSocket): Socket | undefined {
  return (socket as unknown as { _socket?: Socket })._socket;
}

/**
 * Holds the WebSocket's TCP writes until the end of the current tick, so that the frames sent while handling one
 * read (an ack per message received, a burst of messages cut from one chunk) leave in one writev instead of a
 * system call each.
 */
export function corkUntilNextTick(socket: WebSocket): void {
  const tcp = rawSocket(socket);
  if (tcp && tcp.writableCorked === 0) {
    tcp.cork();
    process.nextTick(() => tcp.uncork());
  }
}

/**
 * One WebSocket connection of a data channel. Events: `frame` (Buffer), `close` (code, reason), `drain`.
 * `send` returns false when the socket's buffer is above the high-water mark: wait for `drain`.
 */
export class DataChannelTransport extends EventEmitter {
  static readonly HIGH_WATER_BYTES = 1024 * 1024;
  private readonly socket: WebSocket;
  private readonly pinger?: NodeJS.Timeout;
  private waitingForDrain = false;

  private constructor(socket: WebSocket, pingIntervalMs: number) {
    super();
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.emit(
          'frame',
          Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])
        );
      }
    });
    socket.on('close', (code, reason) => {
      if (this.pinger) {
        clearInterval(this.pinger);
      }
      this.emit('close', code, reason.toString());
    });
    socket.on('error', () => {
      // 'close' follows and carries what the session layer needs.
    });
    if (pingIntervalMs > 0) {
      this.pinger = setInterval(() => socket.ping('keepalive'), pingIntervalMs);
      this.pinger.unref();
    }
  }

  /** Opens the StreamUrl and sends the open message; resolves when the open message is on the wire. */
  static async open(options: ITransportOptions): Promise<DataChannelTransport> {
    const headers = await upgradeHeaders(options);
    const socket = new WebSocket(options.streamUrl, {
      headers,
      handshakeTimeout: options.connectTimeoutMs ?? 15_000,
      perMessageDeflate: false
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(
          new Error(
            `the data channel refused the connection: HTTP ${response.statusCode}`
          )
        )
      );
    });
    const open: IOpenDataChannelMessage = {
      MessageSchemaVersion: '1.0',
      RequestId: randomUUID(),
      TokenValue: options.tokenValue,
      ClientId: options.clientId,
      ClientVersion: options.clientVersion
    };
    await new Promise<void>((resolve, reject) =>
      socket.send(JSON.stringify(open), error =>
        error ? reject(error) : resolve()
      )
    );
    return new DataChannelTransport(socket, options.pingIntervalMs ?? 30_000);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(frame: Buffer): boolean {
    if (!this.isOpen) {
      return false;
    }
    corkUntilNextTick(this.socket);
    this.socket.send(frame, { binary: true }, this.afterSend);
    if (this.socket.bufferedAmount > DataChannelTransport.HIGH_WATER_BYTES) {
      this.waitingForDrain = true;
      return false;
    }
    return true;
  }

  private readonly afterSend = (): void => this.checkDrain();

  private checkDrain(): void {
    if (
      this.waitingForDrain &&
      this.socket.bufferedAmount <= DataChannelTransport.HIGH_WATER_BYTES / 2
    ) {
      this.waitingForDrain = false;
      this.emit('drain');
    }
  }

  close(code = 1000, reason = ''): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
  }

  /** Drops the connection without a close handshake (fault injection and dead-link handling). */
  terminate(): void {
    this.socket.terminate();
  }
}
