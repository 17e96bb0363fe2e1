/**
 * `sm-ssh proxy <mi-id> [--port 22]`: a Session Manager SSH session on stdin/stdout, for OpenSSH's ProxyCommand.
 * stdout carries only the remote port's bytes (ssh reads the server banner from it); diagnostics go to stderr.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  clientsFor,
  withCommonOptions,
  type ICommonOptions
} from '../common.js';

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

export function registerProxyCommand(program: Command): void {
  withCommonOptions(
    program
      .command('proxy')
      .description(
        'connect stdin/stdout to a port of a managed instance over SSM (for ssh -o ProxyCommand="sm-ssh proxy %h")'
      )
      .argument('<target>', 'managed instance id (mi-…)')
      .option('--port <port>', 'remote port', '22')
      .option('--verbose', 'report the session on stderr')
  ).action(
    async (
      target: string,
      flags: ICommonOptions & { port: string; verbose?: boolean }
    ) => {
      const { assertInstanceId, PortDocument, startPortSession } =
        await import('../../ssm/index.js');
      assertInstanceId(target);
      const port = parsePort(flags.port);
      const clients = await clientsFor(flags);
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
      session.on('data', (chunk: Buffer) => {
        if (!process.stdout.write(chunk)) {
          session.pauseDelivery();
          process.stdout.once('drain', () => session.resumeDelivery());
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
      const reason = await ended;
      log(`session ended: ${reason}`);
      process.stdin.destroy();
      const normal = [
        'port closed',
        'the local side closed',
        'closed by the client'
      ];
      if (!normal.includes(reason)) {
        process.stderr.write(`sm-ssh proxy: the session ended: ${reason}\n`);
        process.exitCode = 1;
      }
    }
  );
}
