/**
 * `sm-ssh forward <mi-id> -L [bind:]local:host:remote …`: local port forwards over SSM, one multiplexed session per
 * remote endpoint, as many local connections as you like over it. Ctrl-C closes everything cleanly. A space has no
 * SSM port documents: its forwards go through one SSH connection over remote access.
 */
import { Command, Option } from 'commander';
import { createServer, type Server, type Socket } from 'node:net';
import { UsageError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
import type { IResolvedSpace } from '../../spaces/types.js';
import type { DataChannelSession } from '../../ssm/index.js';
import type { IOutput } from '../output.js';
import {
  clientsFor,
  outputFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';
import {
  prepareOptions,
  withTargetOptions,
  type ITargetFlags
} from '../target-options.js';

export interface IForwardSpec {
  bind: string;
  localPort: number;
  host: string;
  remotePort: number;
}

function port(text: string, spec: string, allowZero: boolean): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535 || (!allowZero && value === 0)) {
    throw new UsageError(
      `-L "${spec}": "${text}" is not a port number`,
      'use -L [bind:]local:host:remote, e.g. -L 8888:localhost:8888'
    );
  }
  return value;
}

/** Parses `-L [bind:]local:host:remote` as ssh does (local 0 picks a free port). */
export function parseForwardSpec(spec: string): IForwardSpec {
  const parts = spec.split(':');
  if (parts.length !== 3 && parts.length !== 4) {
    throw new UsageError(
      `-L "${spec}" is not [bind:]local:host:remote`,
      'e.g. -L 8888:localhost:8888 or -L 127.0.0.1:6006:localhost:6006'
    );
  }
  const [bind, local, host, remote] =
    parts.length === 4 ? parts : ['127.0.0.1', ...parts];
  if (!host) {
    throw new UsageError(
      `-L "${spec}" has no remote host`,
      'use localhost for a port of the instance itself'
    );
  }
  return {
    bind: bind || '127.0.0.1',
    localPort: port(local, spec, true),
    host,
    remotePort: port(remote, spec, false)
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

interface IForward {
  spec: IForwardSpec;
  server: Server;
  session: DataChannelSession;
  connections: Set<Socket>;
}

async function listen(spec: IForwardSpec): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', error =>
      reject(
        new UsageError(
          `cannot listen on ${spec.bind}:${spec.localPort}: ${error.message}`,
          'choose another local port (0 picks a free one)'
        )
      )
    );
    server.listen(spec.localPort, spec.bind, resolve);
  });
  return server;
}

/** Prints the forwards as they listen, the same for SSM sessions and SSH connections. */
function announce(
  out: IOutput,
  listening: Array<{
    local: string;
    remote: string;
    target: string;
    sessionId: string;
  }>
): void {
  out.result({ forwards: listening });
  listening.forEach(forward =>
    out.line(
      `Forwarding ${forward.local} -> ${forward.target} ${forward.remote} (session ${forward.sessionId})`
    )
  );
  out.line('Press Ctrl-C to stop.');
}

function interrupted(): Promise<string> {
  return new Promise<string>(resolve => {
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('terminated'));
  });
}

/**
 * A space: remote access carries only its SSH server, and no SSM port document runs there, so each local port goes
 * through one SSH connection as a direct-tcpip channel to the space's loopback (or a host it reaches).
 */
async function forwardSpace(
  clients: AwsClients,
  resolved: IResolvedSpace,
  specs: IForwardSpec[],
  out: IOutput,
  onProgress?: (text: string) => void
): Promise<void> {
  const { openSpaceSsh } = await import('../../spaces/connect.js');
  const { startForwards } = await import('../../ssh/index.js');
  const connection = await openSpaceSsh(clients, resolved, { onProgress });
  let failure: Error | undefined;
  const forwards = await startForwards(
    connection.client,
    specs.map(spec => ({
      direction: 'L' as const,
      bindHost: spec.bind,
      bindPort: spec.localPort,
      host: spec.host,
      hostPort: spec.remotePort
    })),
    (spec, error) =>
      (failure ??= new UsageError(
        `cannot listen on ${spec.bindHost}:${spec.bindPort}: ${error.message}`,
        'choose another local port (0 picks a free one)'
      ))
  );
  const shutdown = async () => {
    forwards.forEach(forward => forward.close());
    await connection.close();
  };
  if (failure) {
    await shutdown();
    throw failure;
  }
  announce(
    out,
    forwards.map(({ spec }) => ({
      local: `${spec.bindHost}:${spec.bindPort}`,
      remote: `${spec.host}:${spec.hostPort}`,
      target: resolved.name,
      sessionId: connection.session.sessionId
    }))
  );
  const reason = await Promise.race([
    interrupted(),
    new Promise<string>(resolve =>
      connection.client.once('close', () =>
        resolve('session ended: the SSH connection closed')
      )
    )
  ]);
  await shutdown();
  if (reason.startsWith('session ended')) {
    process.stderr.write(`sm-ssh forward: ${reason}\n`);
    process.exitCode = 1;
  } else if (!out.json) {
    process.stderr.write('sm-ssh forward: closed\n');
  }
}

export function registerForwardCommand(program: Command): void {
  withTargetOptions(
    withCommonOptions(
      program
        .command('forward')
        .description(
          'forward local ports to ports of (or reachable from) a target over SSM, without SSH (spaces: through SSH over remote access)'
        )
        .argument(
          '<target>',
          'my-job.training.sagemaker, my-space.d-abc123.space.sagemaker, an mi-… id or a SageMaker ARN'
        )
        .addOption(
          new Option(
            '-L, --local <spec...>',
            '[bind:]local:host:remote (repeatable)'
          ).makeOptionMandatory()
        )
    )
  ).action(
    async (
      target: string,
      flags: ICommonOptions & ITargetFlags & { local: string[] }
    ) => {
      const {
        assertInstanceId,
        openPortStreams,
        PortDocument,
        startPortSession
      } = await import('../../ssm/index.js');
      const byId = /^(mi|i)-/.test(target);
      if (byId) {
        assertInstanceId(target);
      }
      const specs = flags.local.map(parseForwardSpec);
      const out = outputFor(flags);
      const clients = await clientsFor(flags);
      if (!byId) {
        // SSM's port documents need no SSH key: resolving the name is all
        const { resolveConnectTarget } =
          await import('../../spaces/resolve.js');
        const options = prepareOptions(flags, 'sm-ssh forward');
        let resolved;
        try {
          resolved = await resolveConnectTarget(clients, target, options);
        } finally {
          options.stop();
        }
        if (resolved.via === 'remote-access') {
          await forwardSpace(clients, resolved, specs, out, options.onProgress);
          return;
        }
        target = resolved.instance.instanceId;
      }
      const forwards: IForward[] = [];
      const shutdown = async () => {
        for (const forward of forwards) {
          forward.server.close();
          forward.connections.forEach(socket => socket.destroy());
          await forward.session.close('closed by the user');
        }
      };
      try {
        for (const spec of specs) {
          const server = await listen(spec);
          const local = LOCAL_HOSTS.has(spec.host);
          const session = await startPortSession(clients, {
            target,
            document: local
              ? PortDocument.PortForwarding
              : PortDocument.PortForwardingToRemoteHost,
            parameters: {
              ...(local ? {} : { host: spec.host }),
              portNumber: String(spec.remotePort),
              localPortNumber: String(
                (server.address() as { port: number }).port
              )
            }
          });
          const streams = openPortStreams(session);
          const connections = new Set<Socket>();
          server.on('connection', socket => {
            connections.add(socket);
            const stream = streams.open();
            socket.pipe(stream).pipe(socket);
            const done = () => {
              connections.delete(socket);
              socket.destroy();
              stream.destroy();
            };
            socket.once('close', done);
            stream.once('close', done);
            socket.once('error', done);
            stream.once('error', done);
          });
          forwards.push({ spec, server, session, connections });
        }
      } catch (error) {
        await shutdown();
        throw error;
      }
      const listening = forwards.map(({ spec, server, session }) => ({
        local: `${spec.bind}:${(server.address() as { port: number }).port}`,
        remote: `${spec.host}:${spec.remotePort}`,
        target,
        sessionId: session.sessionId
      }));
      announce(out, listening);
      const reason = await Promise.race([
        interrupted(),
        ...forwards.map(
          ({ session }) =>
            new Promise<string>(resolve =>
              session.once('close', (why: string) =>
                resolve(`session ended: ${why}`)
              )
            )
        )
      ]);
      await shutdown();
      if (reason.startsWith('session ended')) {
        process.stderr.write(`sm-ssh forward: ${reason}\n`);
        process.exitCode = 1;
      } else if (!out.json) {
        process.stderr.write('sm-ssh forward: closed\n');
      }
    }
  );
}
