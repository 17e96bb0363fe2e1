/**
 * `GET /api/events`: a WebSocket per panel (ws with noServer, on the HTTP server's upgrade event). It sends
 * `hello`, a `targets` snapshot, then target diffs from the poller (which runs while someone listens), tunnel
 * events and the progress of space operations (to the clients of the same AWS clients, as target diffs); one JSON object per text frame. A client that does not answer a ping within the ping interval is
 * dropped.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { IClientChoice } from './clients.js';
import { errorBody, type HttpError } from './errors.js';
import type { SpaceOperations } from './spaces.js';
import type { TargetDiffEvent, TargetsCache } from './targets.js';
import type { TunnelRegistry } from './tunnels.js';
import type { BridgeEvent, IBridgeTunnel, ISpaceOperation } from './types.js';

export interface IEventHubOptions {
  version: string;
  targets: TargetsCache;
  tunnels: TunnelRegistry;
  spaces: SpaceOperations;
  /** The key TargetsCache uses for a choice of clients. */
  keyOf: (choice: IClientChoice) => string;
  /** Ping interval (default 30 s). */
  pingMs?: number;
}

interface IClient {
  socket: WebSocket;
  key: string;
  alive: boolean;
  stopWatching: () => void;
}

/** Refuses an upgrade with a JSON body (the socket is not a WebSocket yet). */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  error: HttpError
): void {
  const body = JSON.stringify(errorBody(error));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy()
  );
}

export class EventHub {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024
  });
  private readonly clients = new Set<IClient>();
  private readonly options: IEventHubOptions;
  private readonly pinger: NodeJS.Timeout;
  private readonly onTargets: (key: string, events: TargetDiffEvent[]) => void;
  private readonly onPollError: (key: string, error: HttpError) => void;
  private readonly onTunnel: (tunnel: IBridgeTunnel) => void;
  private readonly onTunnelClosed: (id: string, error?: string) => void;
  private readonly onSpaceOperation: (
    key: string,
    operation: ISpaceOperation
  ) => void;

  constructor(options: IEventHubOptions) {
    this.options = options;
    this.onTargets = (key, events) =>
      this.each(client => client.key === key, events);
    this.onPollError = (key, error) =>
      this.each(
        client => client.key === key,
        [{ type: 'error', ...errorBody(error) }]
      );
    this.onTunnel = tunnel =>
      this.each(() => true, [{ type: 'tunnel', tunnel }]);
    this.onTunnelClosed = (id, error) =>
      this.each(
        () => true,
        [{ type: 'tunnel-closed', id, ...(error ? { error } : {}) }]
      );
    this.onSpaceOperation = (key, operation) =>
      this.each(
        client => client.key === key,
        [{ type: 'space-operation', operation }]
      );
    options.targets.on('change', this.onTargets);
    options.targets.on('poll-error', this.onPollError);
    options.tunnels.on('tunnel', this.onTunnel);
    options.tunnels.on('tunnel-closed', this.onTunnelClosed);
    options.spaces.on('operation', this.onSpaceOperation);
    this.pinger = setInterval(() => this.ping(), options.pingMs ?? 30_000);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over an upgrade the guards let through. */
  upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    choice: IClientChoice
  ): void {
    this.server.handleUpgrade(request, socket, head, ws =>
      this.connected(ws, choice)
    );
  }

  private connected(socket: WebSocket, choice: IClientChoice): void {
    const { targets, version, keyOf } = this.options;
    const client: IClient = {
      socket,
      key: keyOf(choice),
      alive: true,
      stopWatching: targets.watch(choice)
    };
    this.clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      client.stopWatching();
      this.clients.delete(client);
    });
    this.send(client, { type: 'hello', version });
    targets.get(choice).then(
      listing =>
        this.send(client, {
          type: 'targets',
          targets: listing.targets,
          warnings: listing.warnings
        }),
      (error: HttpError) =>
        this.send(client, { type: 'error', ...errorBody(error) })
    );
  }

  private send(client: IClient, event: BridgeEvent): void {
    if (client.socket.readyState === WebSocket.OPEN) {
      client.socket.send(JSON.stringify(event));
    }
  }

  private each(
    which: (client: IClient) => boolean,
    events: BridgeEvent[]
  ): void {
    for (const client of this.clients) {
      if (which(client)) {
        events.forEach(event => this.send(client, event));
      }
    }
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Closes every client (1001: going away). */
  close(): void {
    clearInterval(this.pinger);
    const { targets, tunnels, spaces } = this.options;
    targets.off('change', this.onTargets);
    targets.off('poll-error', this.onPollError);
    tunnels.off('tunnel', this.onTunnel);
    tunnels.off('tunnel-closed', this.onTunnelClosed);
    spaces.off('operation', this.onSpaceOperation);
    for (const client of this.clients) {
      client.stopWatching();
      client.socket.close(1001, 'sm-ssh serve stopped');
      // a client that does not answer the close handshake is not waited for
      setTimeout(() => client.socket.terminate(), 1000).unref();
    }
    this.clients.clear();
    this.server.close();
  }
}
