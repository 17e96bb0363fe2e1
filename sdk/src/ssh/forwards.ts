/**
 * Port forwards inside an SSH connection, as OpenSSH's -L and -R: `[bind_address:]port:host:hostport`. A local
 * port that is taken is reported and skipped (OpenSSH does the same without ExitOnForwardFailure), so a second
 * `connect` to another job still gets its shell.
 */
import {
  connect as tcpConnect,
  createServer,
  type AddressInfo,
  type Server
} from 'node:net';
import type { Client } from 'ssh2';
import { UsageError } from '../errors.js';
import type { TargetKind } from '../names/index.js';

export interface IForwardSpec {
  direction: 'L' | 'R';
  bindHost: string;
  bindPort: number;
  host: string;
  hostPort: number;
}

/** The original project's forwards per kind: sshd for IDEs, PyCharm's debug server, VNC and Jupyter on Studio. */
export const DEFAULT_FORWARDS: Record<TargetKind, string[]> = {
  training: ['L 11022:localhost:22', 'R 12345:localhost:12345'],
  processing: ['L 14022:localhost:22'],
  transform: ['L 16022:localhost:22'],
  inference: ['L 12022:localhost:22'],
  notebook: ['L 17022:localhost:22'],
  studio: [
    'L 10022:localhost:22',
    'L 5901:localhost:5901',
    'L 8889:localhost:8889'
  ],
  space: []
};

function port(text: string, spec: string, allowZero = false): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535 || (value === 0 && !allowZero)) {
    throw new UsageError(
      `"${text}" in forward ${spec} is not a port number`,
      'ports are numbers from 1 to 65535 (the listening port may be 0: a free one)'
    );
  }
  return value;
}

/**
 * Parses `-L`/`-R` values; `[::1]`-style brackets are allowed around IPv6 addresses. A listening port of 0 takes a
 * free one (the active forward reports which).
 */
export function parseForward(direction: 'L' | 'R', spec: string): IForwardSpec {
  const parts = spec.match(/\[[^\]]*\]|[^:]+/g) ?? [];
  const unbracket = (text: string) => text.replace(/^\[(.*)\]$/, '$1');
  if (parts.length !== 3 && parts.length !== 4) {
    throw new UsageError(
      `-${direction} ${spec} is not [bind_address:]port:host:hostport`,
      `e.g. -${direction} 8080:localhost:8080`
    );
  }
  const [bind, ...rest] = parts.length === 4 ? parts : ['127.0.0.1', ...parts];
  return {
    direction,
    bindHost: unbracket(bind),
    bindPort: port(rest[0], spec, true),
    host: unbracket(rest[1]),
    hostPort: port(rest[2], spec)
  };
}

export function formatForward(spec: IForwardSpec): string {
  return `-${spec.direction} ${spec.bindHost}:${spec.bindPort}:${spec.host}:${spec.hostPort}`;
}

/** The kind's default forwards, parsed. */
export function defaultForwards(kind: TargetKind | undefined): IForwardSpec[] {
  return (kind ? DEFAULT_FORWARDS[kind] : []).map(entry =>
    parseForward(entry[0] as 'L' | 'R', entry.slice(2))
  );
}

export interface IActiveForward {
  spec: IForwardSpec;
  close(): void;
}

function startLocal(
  client: Client,
  spec: IForwardSpec
): Promise<IActiveForward> {
  const server: Server = createServer({ allowHalfOpen: true }, socket => {
    client.forwardOut(
      socket.remoteAddress ?? '127.0.0.1',
      socket.remotePort ?? 0,
      spec.host,
      spec.hostPort,
      (error, channel) => {
        if (error) {
          socket.destroy();
          return;
        }
        socket.pipe(channel).pipe(socket);
        socket.once('error', () => channel.close());
        channel.once('close', () => socket.destroy());
      }
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.bindPort, spec.bindHost, () => {
      server.off('error', reject);
      // the listener lives as long as the connection it forwards through
      client.once('close', () => server.close());
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        spec: { ...spec, bindPort: bound },
        close: () => server.close()
      });
    });
  });
}

function startRemote(
  client: Client,
  spec: IForwardSpec
): Promise<IActiveForward> {
  return new Promise((resolve, reject) => {
    client.forwardIn(spec.bindHost, spec.bindPort, (error, bound) => {
      if (error) {
        reject(error);
        return;
      }
      const active = { ...spec, bindPort: bound || spec.bindPort };
      resolve({
        spec: active,
        close: () => client.unforwardIn(active.bindHost, active.bindPort)
      });
    });
  });
}

/** Routes the server's `tcp connection` requests of every -R forward (as bound) to its local host:port. */
function acceptRemote(client: Client, specs: IForwardSpec[]): void {
  client.on('tcp connection', (info, accept, reject) => {
    const spec = specs.find(candidate => candidate.bindPort === info.destPort);
    if (!spec) {
      reject();
      return;
    }
    const socket = tcpConnect({
      port: spec.hostPort,
      host: spec.host,
      allowHalfOpen: true
    });
    socket.once('connect', () => {
      const channel = accept();
      socket.pipe(channel).pipe(socket);
      channel.once('close', () => socket.destroy());
    });
    socket.once('error', () => reject());
  });
}

/** Starts the forwards; those that cannot start are reported through `onFailure` and skipped. */
export async function startForwards(
  client: Client,
  specs: IForwardSpec[],
  onFailure: (spec: IForwardSpec, error: Error) => void
): Promise<IActiveForward[]> {
  // filled as the server binds: a requested port of 0 becomes the one it chose
  const remote: IForwardSpec[] = [];
  if (specs.some(spec => spec.direction === 'R')) {
    acceptRemote(client, remote);
  }
  const started = await Promise.all(
    specs.map(spec =>
      (spec.direction === 'L'
        ? startLocal(client, spec)
        : startRemote(client, spec).then(forward => {
            remote.push(forward.spec);
            return forward;
          })
      ).catch((error: Error) => {
        onFailure(spec, error);
        return undefined;
      })
    )
  );
  return started.filter(
    (forward): forward is IActiveForward => forward !== undefined
  );
}
