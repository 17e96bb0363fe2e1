/**
 * Tunnels: a local port on 127.0.0.1 forwarded through an SSH connection to a host:port as the target sees it,
 * as `sm-ssh connect -L` does, with bytes and connections counted. One SSH connection per target + node, shared
 * by its tunnels and closed with the last of them. When a connection drops, its tunnels become `failed`.
 *
 * Emits `tunnel` (IBridgeTunnel) on every state change and at most once a second while counts change, and
 * `tunnel-closed` (id, error?) when a tunnel is taken away.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createServer,
  isIP,
  type AddressInfo,
  type Server,
  type Socket
} from 'node:net';
import type { AwsClients } from '../aws/clients.js';
import { openSsh, type ISshConnection } from '../ssh/connect.js';
import type { IStatePaths } from '../ssh/paths.js';
import { badRequest, conflict, HttpError, toHttpError } from './errors.js';
import { integerIn, requestFields, requestTarget } from './requests.js';
import type { IBridgeTunnel, IStartTunnelRequest } from './types.js';

const LOCAL_HOST = '127.0.0.1';
const MAX_TIMEOUT_SECONDS = 900;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A checked IStartTunnelRequest, its target in canonical form. */
export interface ITunnelRequest {
  target: string;
  node: number;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  anyOwner: boolean;
  timeoutSeconds: number;
}

/** Checks a POST /api/tunnels body (400 with a hint for each bad field). */
export function parseTunnelRequest(body: unknown): ITunnelRequest {
  const request = requestFields<IStartTunnelRequest>(
    body,
    'the tunnel request',
    'send {"target": "my-job.training.sagemaker", "remotePort": 8888}'
  );
  const { target } = requestTarget(
    request.target,
    'pass a target name such as my-job.training.sagemaker (GET /api/targets lists them)'
  );
  const remoteHost = request.remoteHost ?? 'localhost';
  if (
    typeof remoteHost !== 'string' ||
    (!HOSTNAME.test(remoteHost) && isIP(remoteHost) === 0)
  ) {
    throw badRequest(
      `remoteHost ${JSON.stringify(remoteHost)?.slice(0, 80)} is not a host name or IP address`,
      'use localhost for a port of the target itself, or a host name it can resolve'
    );
  }
  if (request.anyOwner !== undefined && typeof request.anyOwner !== 'boolean') {
    throw badRequest('anyOwner is not true or false');
  }
  return {
    target,
    node:
      request.node === undefined
        ? 1
        : integerIn(
            request.node,
            'node',
            1,
            10_000,
            'nodes are numbered from 1'
          ),
    localPort:
      request.localPort === undefined
        ? 0
        : integerIn(
            request.localPort,
            'localPort',
            0,
            65535,
            'a port from 1 to 65535, or 0 for a free one'
          ),
    remoteHost,
    remotePort: integerIn(
      request.remotePort,
      'remotePort',
      1,
      65535,
      'the port on the target to reach, e.g. 8888 for Jupyter or 6006 for TensorBoard'
    ),
    anyOwner: request.anyOwner ?? false,
    timeoutSeconds:
      request.timeoutSeconds === undefined
        ? 0
        : integerIn(
            request.timeoutSeconds,
            'timeoutSeconds',
            0,
            MAX_TIMEOUT_SECONDS,
            'how long to wait for the target to come Online (0: not at all)'
          )
  };
}

interface IConnectionEntry {
  key: string;
  opening: Promise<ISshConnection>;
  connection?: ISshConnection;
  tunnels: Set<ITunnel>;
  error?: string;
}

interface ITunnel {
  record: IBridgeTunnel;
  server: Server;
  sockets: Set<Socket>;
  entry?: IConnectionEntry;
  /** The counts last emitted, to emit only on change. */
  emitted: string;
}

export interface ITunnelRegistryOptions {
  paths: IStatePaths;
  identityFile?: string;
  /** How often changing counts are emitted (default 1000 ms). */
  countIntervalMs?: number;
}

function listen(port: number): Promise<Server> {
  const server = createServer({ allowHalfOpen: true });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? conflict(
              `local port ${port} is taken`,
              'choose another local port, or 0 for a free one'
            )
          : error.code === 'EACCES'
            ? badRequest(
                `not allowed to listen on local port ${port}`,
                'use a port from 1024, or 0 for a free one'
              )
            : toHttpError(error, `listening on ${LOCAL_HOST}:${port}`)
      );
    });
    server.listen(port, LOCAL_HOST, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

export class TunnelRegistry extends EventEmitter {
  private readonly tunnels = new Map<string, ITunnel>();
  private readonly connections = new Map<string, IConnectionEntry>();
  private readonly options: ITunnelRegistryOptions;
  private ticker?: NodeJS.Timeout;

  constructor(options: ITunnelRegistryOptions) {
    super();
    this.options = options;
  }

  list(): IBridgeTunnel[] {
    return [...this.tunnels.values()].map(tunnel => ({ ...tunnel.record }));
  }

  get(id: string): IBridgeTunnel | undefined {
    const tunnel = this.tunnels.get(id);
    return tunnel && { ...tunnel.record };
  }

  /** Opens a tunnel; resolves once it is up (listening, SSH connected). */
  async start(
    clients: AwsClients,
    clientsKey: string,
    request: ITunnelRequest
  ): Promise<IBridgeTunnel> {
    const server = await listen(request.localPort);
    const tunnel: ITunnel = {
      record: {
        id: randomUUID(),
        target: request.target,
        node: request.node,
        localHost: LOCAL_HOST,
        localPort: (server.address() as AddressInfo).port,
        remoteHost: request.remoteHost,
        remotePort: request.remotePort,
        state: 'starting',
        bytesOut: 0,
        bytesIn: 0,
        connections: 0,
        totalConnections: 0,
        startedAt: Date.now()
      },
      server,
      sockets: new Set(),
      emitted: ''
    };
    this.tunnels.set(tunnel.record.id, tunnel);
    this.changed(tunnel);
    const entry = this.connectionFor(clients, clientsKey, request);
    entry.tunnels.add(tunnel);
    tunnel.entry = entry;
    server.on('connection', socket => this.accept(tunnel, socket));
    try {
      const connection = await entry.opening;
      if (tunnel.record.state !== 'starting') {
        throw new HttpError(
          409,
          'conflict',
          `the tunnel was closed while it started${tunnel.record.error ? `: ${tunnel.record.error}` : ''}`
        );
      }
      // a space reached through remote access has no managed instance
      tunnel.record.instanceId =
        connection.resolved.via === 'ssm-instance'
          ? connection.resolved.instance.instanceId
          : undefined;
      tunnel.record.sessionId = connection.session.sessionId;
      tunnel.record.state = 'up';
      this.changed(tunnel);
      this.startTicker();
      return { ...tunnel.record };
    } catch (error) {
      const failure = toHttpError(error, `connecting to ${request.target}`);
      this.remove(tunnel, failure.message);
      throw failure;
    }
  }

  /** Closes a tunnel; false when there is none with this id. */
  close(id: string): boolean {
    const tunnel = this.tunnels.get(id);
    if (!tunnel) {
      return false;
    }
    this.remove(tunnel);
    return true;
  }

  /** Closes every tunnel and SSH connection. */
  async closeAll(): Promise<void> {
    for (const tunnel of [...this.tunnels.values()]) {
      this.remove(tunnel, 'the bridge stopped');
    }
    const closing = [...this.connections.values()].map(entry =>
      entry.opening.then(
        connection => connection.close(),
        () => undefined
      )
    );
    this.connections.clear();
    await Promise.all(closing);
    this.stopTicker();
  }

  private connectionFor(
    clients: AwsClients,
    clientsKey: string,
    request: ITunnelRequest
  ): IConnectionEntry {
    const key = `${clientsKey}|${request.target}|${request.node}|${request.anyOwner}`;
    const existing = this.connections.get(key);
    if (existing && existing.error === undefined) {
      return existing;
    }
    const entry: IConnectionEntry = {
      key,
      tunnels: new Set(),
      opening: openSsh(clients, request.target, {
        paths: this.options.paths,
        identityFile: this.options.identityFile,
        node: request.node,
        anyOwner: request.anyOwner,
        timeoutMs: request.timeoutSeconds * 1000
      })
    };
    this.connections.set(key, entry);
    entry.opening.then(
      connection => {
        entry.connection = connection;
        let lastError: string | undefined;
        connection.client.on('error', (error: Error) => {
          lastError = error.message.split('\n')[0];
        });
        connection.client.once('close', () =>
          this.dropped(
            entry,
            `the SSH connection to ${request.target} closed${lastError ? `: ${lastError}` : ''}`
          )
        );
        if (entry.tunnels.size === 0) {
          this.release(entry);
        }
      },
      (error: unknown) => {
        entry.error = toHttpError(error).message;
        if (this.connections.get(key) === entry) {
          this.connections.delete(key);
        }
      }
    );
    return entry;
  }

  /** The SSH connection went away: its tunnels fail and stop listening. */
  private dropped(entry: IConnectionEntry, error: string): void {
    entry.error = error;
    if (this.connections.get(entry.key) === entry) {
      this.connections.delete(entry.key);
    }
    for (const tunnel of entry.tunnels) {
      if (tunnel.record.state === 'closed') {
        continue;
      }
      this.stopListening(tunnel);
      tunnel.record.state = 'failed';
      tunnel.record.error = error;
      tunnel.record.connections = 0;
      this.changed(tunnel);
    }
    entry.tunnels.clear();
  }

  /** Closes the connection once no tunnel uses it. */
  private release(entry: IConnectionEntry): void {
    if (entry.tunnels.size > 0) {
      return;
    }
    if (this.connections.get(entry.key) === entry) {
      this.connections.delete(entry.key);
    }
    void entry.connection?.close().catch(() => undefined);
  }

  private accept(tunnel: ITunnel, socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const record = tunnel.record;
    tunnel.sockets.add(socket);
    record.connections += 1;
    record.totalConnections += 1;
    socket.once('close', () => {
      tunnel.sockets.delete(socket);
      record.connections = Math.max(0, record.connections - 1);
    });
    socket.pause();
    const entry = tunnel.entry;
    if (!entry) {
      socket.destroy();
      return;
    }
    entry.opening.then(
      connection => {
        if (
          socket.destroyed ||
          (record.state !== 'up' && record.state !== 'starting')
        ) {
          socket.destroy();
          return;
        }
        connection.client.forwardOut(
          socket.remoteAddress ?? LOCAL_HOST,
          socket.remotePort ?? 0,
          record.remoteHost,
          record.remotePort,
          (error, channel) => {
            if (error || socket.destroyed) {
              socket.destroy();
              channel?.close();
              return;
            }
            socket.on('data', (chunk: Buffer) => {
              record.bytesOut += chunk.length;
            });
            channel.on('data', (chunk: Buffer) => {
              record.bytesIn += chunk.length;
            });
            socket.pipe(channel).pipe(socket);
            socket.once('close', () => channel.close());
            channel.once('close', () => socket.destroy());
            socket.resume();
          }
        );
      },
      () => socket.destroy()
    );
  }

  private stopListening(tunnel: ITunnel): void {
    tunnel.server.close();
    tunnel.sockets.forEach(socket => socket.destroy());
    tunnel.sockets.clear();
  }

  /** Takes a tunnel away: stops listening, releases its connection, emits `tunnel-closed`. */
  private remove(tunnel: ITunnel, error?: string): void {
    if (!this.tunnels.delete(tunnel.record.id)) {
      return;
    }
    this.stopListening(tunnel);
    tunnel.record.state = 'closed';
    if (error) {
      tunnel.record.error = error;
    }
    const entry = tunnel.entry;
    if (entry?.tunnels.delete(tunnel) && entry.connection) {
      this.release(entry);
    }
    this.emit('tunnel-closed', tunnel.record.id, error);
    if (this.tunnels.size === 0) {
      this.stopTicker();
    }
  }

  private changed(tunnel: ITunnel): void {
    tunnel.emitted = this.counts(tunnel.record);
    this.emit('tunnel', { ...tunnel.record });
  }

  private counts(record: IBridgeTunnel): string {
    return `${record.bytesOut}/${record.bytesIn}/${record.connections}/${record.totalConnections}`;
  }

  private startTicker(): void {
    if (this.ticker) {
      return;
    }
    this.ticker = setInterval(() => {
      for (const tunnel of this.tunnels.values()) {
        if (
          tunnel.record.state === 'up' &&
          this.counts(tunnel.record) !== tunnel.emitted
        ) {
          this.changed(tunnel);
        }
      }
    }, this.options.countIntervalMs ?? 1000);
    this.ticker.unref();
  }

  private stopTicker(): void {
    if (this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}
