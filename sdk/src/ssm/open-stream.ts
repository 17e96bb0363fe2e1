/**
 * `openStream(target, port)`: a Node `Duplex` to a TCP port of a managed instance (or of a host it reaches).
 * Streams to the same target, host and port share one multiplexed port-forwarding session (smux), which ends
 * `lingerMs` after its last stream closes, so a burst of connections pays for one StartSession.
 */
import type { Duplex } from 'node:stream';
import type { AwsClients } from '../aws/clients.js';
import { UsageError } from '../errors.js';
import type { MuxStreams } from './mux-streams.js';
import { openPortStreams } from './port-streams.js';
import type { DataChannelSession } from './session.js';
import { assertInstanceId, PortDocument, startPortSession } from './start.js';

export interface IOpenStreamOptions {
  /** The clients to call SSM with (default: the default credential chain and region). */
  clients?: AwsClients;
  /** A host the instance reaches (AWS-StartPortForwardingSessionToRemoteHost); default the instance itself. */
  host?: string;
}

export interface IStreamPoolOptions {
  /** How long a session stays open after its last stream closed (default 1 s). */
  lingerMs?: number;
}

interface IPooledSession {
  ready: Promise<{ session: DataChannelSession; streams: MuxStreams }>;
  open: number;
  linger?: NodeJS.Timeout;
}

function assertPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(
      `port ${String(port)} is not a port number`,
      'pass a number from 1 to 65535'
    );
  }
  return port;
}

/** Port-forwarding sessions of one set of clients, shared by the streams that go to the same place. */
export class PortStreamPool {
  private readonly sessions = new Map<string, IPooledSession>();
  private readonly lingerMs: number;

  constructor(
    private readonly clients: AwsClients,
    options: IStreamPoolOptions = {}
  ) {
    this.lingerMs = options.lingerMs ?? 1000;
  }

  /** A new TCP connection to `port` on `target` (or on `host` as seen from it), over a shared session. */
  async open(target: string, port: number, host?: string): Promise<Duplex> {
    assertInstanceId(target);
    assertPort(port);
    const key = `${target}\n${host ?? ''}\n${port}`;
    let pooled = this.sessions.get(key);
    if (!pooled) {
      pooled = { ready: this.start(key, target, port, host), open: 0 };
      this.sessions.set(key, pooled);
    }
    const entry = pooled;
    entry.open += 1;
    clearTimeout(entry.linger);
    let opened: { session: DataChannelSession; streams: MuxStreams };
    try {
      opened = await entry.ready;
    } catch (error) {
      entry.open -= 1;
      throw error;
    }
    if (!opened.session.isOpen) {
      // it ended (e.g. its idle linger ran out) while this caller waited: start a fresh one
      entry.open -= 1;
      return this.open(target, port, host);
    }
    const duplex = opened.streams.open();
    duplex.once('close', () => this.released(key, entry));
    return duplex;
  }

  private async start(
    key: string,
    target: string,
    port: number,
    host?: string
  ): Promise<{ session: DataChannelSession; streams: MuxStreams }> {
    try {
      const session = await startPortSession(this.clients, {
        target,
        document: host
          ? PortDocument.PortForwardingToRemoteHost
          : PortDocument.PortForwarding,
        parameters: { ...(host ? { host } : {}), portNumber: String(port) }
      });
      session.once('close', () => this.forget(key));
      try {
        return { session, streams: openPortStreams(session) };
      } catch (error) {
        await session.close();
        throw error;
      }
    } catch (error) {
      this.forget(key);
      throw error;
    }
  }

  private released(key: string, entry: IPooledSession): void {
    entry.open -= 1;
    if (entry.open > 0 || this.sessions.get(key) !== entry) {
      return;
    }
    entry.linger = setTimeout(() => {
      this.forget(key);
      void entry.ready.then(
        ({ session }) => session.close(),
        () => undefined
      );
    }, this.lingerMs);
  }

  private forget(key: string): void {
    const entry = this.sessions.get(key);
    clearTimeout(entry?.linger);
    this.sessions.delete(key);
  }

  /** Ends every session of the pool now (open streams end with an error). */
  async close(): Promise<void> {
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      entries.map(entry => {
        clearTimeout(entry.linger);
        return entry.ready.then(
          ({ session }) => session.close(),
          () => undefined
        );
      })
    );
  }
}

const pools = new WeakMap<AwsClients, PortStreamPool>();
let defaultClients: Promise<AwsClients> | undefined;

async function poolFor(clients?: AwsClients): Promise<PortStreamPool> {
  if (!clients) {
    defaultClients ??= import('../aws/clients.js').then(module =>
      module.createAwsClients()
    );
    clients = await defaultClients;
  }
  let pool = pools.get(clients);
  if (!pool) {
    pool = new PortStreamPool(clients);
    pools.set(clients, pool);
  }
  return pool;
}

/**
 * A Duplex to `port` of managed instance `target` over SSM, with backpressure end to end. Streams to the same
 * place share one multiplexed session; end or destroy the stream when done.
 */
export async function openStream(
  target: string,
  port: number,
  options: IOpenStreamOptions = {}
): Promise<Duplex> {
  assertInstanceId(target);
  assertPort(port);
  const pool = await poolFor(options.clients);
  return pool.open(target, port, options.host);
}
