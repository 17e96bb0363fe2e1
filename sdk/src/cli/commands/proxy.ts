/**
 * `sm-ssh proxy <mi-id> [--port 22]`: a Session Manager SSH session on stdin/stdout, for OpenSSH's ProxyCommand.
 * stdout carries only the remote port's bytes (ssh reads the server banner from it); diagnostics go to stderr.
 */
import type { Command } from 'commander';
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { UsageError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
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
  flags: ITargetFlags
): Promise<string> {
  const { prepareTarget } = await import('../../ssh/index.js');
  const options = prepareOptions(flags, 'sm-ssh proxy');
  try {
    const prepared = await prepareTarget(clients, text, options);
    await prepared.ready;
    const instanceId = prepared.resolved.instance.instanceId;
    prepared.knownHosts.alias(text, instanceId);
    prepared.knownHosts.save();
    return instanceId;
  } finally {
    options.stop();
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
          'my-job.training.sagemaker (delivers the key, pins host keys), or an mi-… id (bytes only)'
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
        parseTarget(target);
      }
      const port = parsePort(flags.port);
      const clients = await clientsFor(flags);
      if (!byId) {
        target = await instanceForName(clients, target, flags);
      }
      const session = await startPortSession(clients, {
        target,
        document: PortDocument.Ssh,
        parameters: { portNumber: String(port) }
      });
      const log = (text: string) =>
        flags.verbose && process.stderr.write(`sm-ssh proxy: ${text}\n`);
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
      const ended = new Promise<string>(resolve =>
        session.once('close', resolve)
      );
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
  );
}
