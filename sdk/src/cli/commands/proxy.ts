/**
 * `sm-ssh proxy <mi-id> [--port 22]`: a Session Manager SSH session on stdin/stdout, for OpenSSH's ProxyCommand.
 * stdout carries only the remote port's bytes (ssh reads the server banner from it); diagnostics go to stderr.
 * A space (`<space>.<domain>.space.sagemaker`) gets its raw remote-access stream instead.
 */
import type { Command } from 'commander';
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { UsageError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
import type { IResolvedTarget } from '../../resolve/index.js';
import type { IResolvedSpace } from '../../spaces/types.js';
import type { DataChannelSession } from '../../ssm/index.js';
import {
  clientsFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';
import {
  prepareOptions,
  withTargetOptions,
  type ITargetFlags
} from '../target-options.js';

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(
      `--port "${text}" is not a port number`,
      'pass a number from 1 to 65535'
    );
  }
  return port;
}

/**
 * Node writes to a stdout pipe synchronously: when ssh reads slowly the whole process would block in write(2),
 * and with it acks, resends and keep-alives. A non-blocking socket on fd 1 gives real backpressure instead.
 */
function remoteOutput(): Writable {
  const stat = fstatSync(1);
  return stat.isFIFO() || stat.isSocket()
    ? new Socket({ fd: 1, readable: false })
    : process.stdout;
}

/**
 * A name (not an id): resolve it, make sure our key is on the instance and its host keys pinned, and point the
 * name's known_hosts alias at that instance before OpenSSH reads the server's key.
 */
async function instanceForName(
  clients: AwsClients,
  text: string,
  flags: ITargetFlags,
  resolvedAs?: IResolvedTarget
): Promise<string> {
  const { prepareTarget } = await import('../../ssh/index.js');
  const options = prepareOptions(flags, 'sm-ssh proxy');
  try {
    const prepared = await prepareTarget(clients, text, {
      ...options,
      resolvedAs
    });
    await prepared.ready;
    const instanceId = prepared.resolved.instance.instanceId;
    prepared.knownHosts.alias(text, instanceId);
    prepared.knownHosts.save();
    return instanceId;
  } finally {
    options.stop();
  }
}

/** Remote access carries the space's SSH server only. */
function spacePort(name: string, port: number): void {
  if (port !== 22) {
    throw new UsageError(
      `remote access reaches the SSH server of ${name} only, not port ${port}`,
      `forward other ports through SSH: sm-ssh forward ${name} -L ${port}:localhost:${port}`
    );
  }
}

/**
 * How a space (or a Studio app named with its space) is reached, resolved before any session so that its problems
 * (remote access off, no app) are said first; undefined for the other targets, which SSM's path resolves.
 */
async function resolveSpaceLike(
  clients: AwsClients,
  text: string,
  flags: ITargetFlags
): Promise<IResolvedSpace | IResolvedTarget | undefined> {
  const { resolveConnectTarget } = await import('../../spaces/resolve.js');
  const { parseTarget } = await import('../../names/index.js');
  const target = parseTarget(text);
  if (
    target.form === 'instance' ||
    !(target.kind === 'space' || (target.kind === 'studio' && target.owner))
  ) {
    return undefined;
  }
  const { callerCache, statePaths } = await import('../../ssh/index.js');
  const options = prepareOptions(flags, 'sm-ssh proxy');
  try {
    return await resolveConnectTarget(clients, text, {
      callerCache: callerCache((options.paths ?? statePaths()).callers),
      ...options
    });
  } finally {
    options.stop();
  }
}

/**
 * The raw remote-access stream of a space on stdin/stdout. ssh's own identification waits on stdin until the
 * space's server has said its banner, as AWS's client waits before handing the stream to SSH.
 */
async function relaySpace(
  clients: AwsClients,
  space: IResolvedSpace,
  log: (text: string) => void
): Promise<void> {
  const { startSpaceSession } = await import('../../spaces/session.js');
  const { waitForBanner } = await import('../../spaces/banner.js');
  const { sessionDuplex } = await import('../../ssm/index.js');
  const session = await startSpaceSession(clients, space.space, {
    onProgress: log
  });
  const stream = sessionDuplex(session);
  try {
    log(`server ${await waitForBanner(stream, space.name)}`);
  } catch (error) {
    await session.close();
    throw error;
  }
  log(
    'the host key is new in every remote-access session and not pinned: the trust anchor is the SigV4-authenticated channel from sagemaker:StartSession'
  );
  const output = remoteOutput();
  output.on('error', () => void session.close('the local side closed'));
  stream.on('error', () => undefined);
  stream.pipe(output, { end: false });
  process.stdin.pipe(stream);
  await untilEnded(session, output, log);
}

/** Waits for the session's end (a signal from ssh ends it here), flushes stdout and sets the exit status. */
async function untilEnded(
  session: DataChannelSession,
  output: Writable,
  log: (text: string) => void
): Promise<void> {
  const ended = new Promise<string>(resolve => session.once('close', resolve));
  // ssh sends SIGHUP to its ProxyCommand when it is done: end the session at AWS too instead of leaving it
  // to time out, and exit normally (which also lets --cpu-prof write its profile).
  let signaled = false;
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      signaled = true;
      void session.close('the local side closed');
    });
  }
  const reason = await ended;
  const stats = session.stats;
  log(
    `session ended: ${reason} (received ${stats.delivered} messages, ${stats.duplicates} duplicates; sent ${stats.sent}, resent ${stats.resent})`
  );
  process.stdin.destroy();
  if (signaled) {
    output.destroy();
  } else {
    // what the port said last must reach ssh before we exit (unless nobody reads any more)
    await new Promise<void>(resolve => {
      output.once('error', () => resolve());
      output.end(resolve);
    });
  }
  const normal = [
    'port closed',
    'the local side closed',
    'closed by the client'
  ];
  // once we asked the session to end, however it ended (the agent's channel_closed may win) is normal
  if (!session.endedByClient && !normal.includes(reason)) {
    process.stderr.write(`sm-ssh proxy: the session ended: ${reason}\n`);
    process.exitCode = 1;
  }
}

export function registerProxyCommand(program: Command): void {
  withTargetOptions(
    withCommonOptions(
      program
        .command('proxy')
        .description(
          'connect stdin/stdout to a port of a target over SSM (for ssh -o ProxyCommand="sm-ssh proxy %n")'
        )
        .argument(
          '<target>',
          'my-job.training.sagemaker (delivers the key, pins host keys), a space (remote access), or an mi-… id (bytes only)'
        )
        .option('--port <port>', 'remote port', '22')
    )
  ).action(
    async (
      target: string,
      flags: ICommonOptions & ITargetFlags & { port: string }
    ) => {
      const { assertInstanceId, PortDocument, startPortSession } =
        await import('../../ssm/index.js');
      const { parseTarget } = await import('../../names/index.js');
      const byId = /^(mi|i)-/.test(target);
      if (byId) {
        assertInstanceId(target);
      } else {
        const parsed = parseTarget(target);
        if (parsed.form !== 'instance' && parsed.kind === 'space') {
          spacePort(target, parsePort(flags.port));
        }
      }
      const port = parsePort(flags.port);
      const clients = await clientsFor(flags);
      const log = (text: string) =>
        flags.verbose && process.stderr.write(`sm-ssh proxy: ${text}\n`);
      if (!byId) {
        const resolved = await resolveSpaceLike(clients, target, flags);
        if (resolved?.via === 'remote-access') {
          spacePort(resolved.name, port);
          if (resolved.target.kind !== 'space') {
            // OpenSSH applies the Host *.sagemaker block to this name: root and pinned keys, which a space has not
            process.stderr.write(
              `sm-ssh proxy: ${target} is reached through its space's remote access, whose host key is new in every session; with OpenSSH use ${resolved.name} (its Host *.space.sagemaker block pins nothing)\n`
            );
          }
          await relaySpace(clients, resolved, log);
          return;
        }
        target = await instanceForName(clients, target, flags, resolved);
      }
      const session = await startPortSession(clients, {
        target,
        document: PortDocument.Ssh,
        parameters: { portNumber: String(port) }
      });
      log(
        `session ${session.sessionId} to ${target}:${port} (agent ${session.agentVersion})`
      );
      session.on('reconnect', attempt =>
        log(`connection dropped, resuming (attempt ${attempt})`)
      );
      session.on('reconnected', () => log('resumed'));
      const output = remoteOutput();
      output.on('error', () => void session.close('the local side closed'));
      session.on('data', (chunk: Buffer) => {
        if (!output.write(chunk)) {
          session.pauseDelivery();
          output.once('drain', () => session.resumeDelivery());
        }
      });
      process.stdin.on('data', (chunk: Buffer) => {
        process.stdin.pause();
        session.write(chunk).then(
          () => process.stdin.resume(),
          () => undefined
        );
      });
      process.stdin.once('end', () => {
        void session.flush().then(() => session.close('the local side closed'));
      });
      await untilEnded(session, output, log);
    }
  );
}
