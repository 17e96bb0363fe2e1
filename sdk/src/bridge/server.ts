/**
 * Where the bridge listens: a unix socket (what jupyter-server-proxy gives with `unix_socket`; a stale socket file
 * is removed first, and the socket is made 0600 right after listen) or a loopback TCP port (0 picks one). Never
 * anything but loopback: the bridge acts with the user's AWS credentials.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export type ListenTarget =
  { socketPath: string } | { port: number; host?: string };

export interface IListening {
  /** The socket path, or `http://127.0.0.1:<port>`. */
  address: string;
  socketPath?: string;
  port?: number;
  url?: string;
}

/** Refuses a host that is not loopback, and a port out of range. */
export function checkListenTarget(target: ListenTarget): void {
  if ('socketPath' in target) {
    if (target.socketPath === '') {
      throw new UsageError(
        '--socket is empty',
        'pass the socket file to create'
      );
    }
    return;
  }
  const host = target.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new UsageError(
      `--host ${host} is not a loopback address`,
      'sm-ssh serve acts with your AWS credentials: it listens on 127.0.0.1, ::1 or a unix socket (--socket) only'
    );
  }
  if (
    !Number.isInteger(target.port) ||
    target.port < 0 ||
    target.port > 65535
  ) {
    throw new UsageError(
      `--port ${target.port} is not a port number`,
      'pass a port from 1 to 65535, or 0 for a free one'
    );
  }
}

function isLive(path: string): Promise<boolean> {
  return new Promise(resolve => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes a socket file nobody listens on; refuses a live socket or a file that is not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) {
    throw new UsageError(
      `--socket ${path} exists and is not a socket`,
      'pass a path that does not exist yet'
    );
  }
  if (await isLive(path)) {
    throw new UsageError(
      `another server listens on ${path}`,
      'stop it, or pass another --socket path'
    );
  }
  unlinkSync(path);
}

export async function listen(
  server: Server,
  target: ListenTarget
): Promise<IListening> {
  checkListenTarget(target);
  if ('socketPath' in target) {
    await clearStaleSocket(target.socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(
              `${'socketPath' in target ? target.socketPath : `port ${target.port}`} is in use`,
              'pass another --port (0 picks a free one) or --socket path'
            )
          : new UsageError(
              `cannot listen: ${error.message}`,
              'check the --socket folder or the --port'
            )
      );
    server.once('error', failed);
    const done = () => {
      server.off('error', failed);
      resolve();
    };
    if ('socketPath' in target) {
      server.listen(target.socketPath, done);
    } else {
      server.listen(target.port, target.host ?? '127.0.0.1', done);
    }
  });
  if ('socketPath' in target) {
    chmodSync(target.socketPath, 0o600);
    return { address: target.socketPath, socketPath: target.socketPath };
  }
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  return { address: url, port, url };
}
