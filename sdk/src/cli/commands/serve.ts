/**
 * `sm-ssh serve [--socket PATH | --port N] …`: the bridge API the JupyterLab panel uses, on a unix socket (as
 * jupyter-server-proxy starts it) or a loopback port. Prints one line saying where it listens; SIGTERM or SIGINT
 * close the tunnels and SSH connections and exit 0.
 */
import { Command, Option } from 'commander';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { withCommonOptions, type ICommonOptions } from '../common.js';

interface IServeFlags extends ICommonOptions {
  socket?: string;
  port?: string;
  host: string;
  sagemakerRole?: string;
  userRole?: string;
  studio?: boolean;
  refreshSeconds: string;
  configDir?: string;
  identity?: string;
  allowOrigin?: string[];
  verbose?: boolean;
}

function wholeNumber(text: string, flag: string, hint: string): number {
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`${flag} "${text}" is not a whole number`, hint);
  }
  return Number(text);
}

/** The running CLI script, so the panel can start `connect` without sm-ssh on PATH. */
function cliScript(): string {
  const script = resolve(process.argv[1] ?? '');
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

export function registerServeCommand(program: Command): void {
  withCommonOptions(
    program
      .command('serve')
      .description(
        'serve the HTTP/WebSocket API of the JupyterLab panel (started by jupyter-server-proxy)'
      )
      .addOption(
        new Option('--socket <path>', 'listen on this unix socket (made 0600)')
      )
      .addOption(
        new Option('--port <n>', 'loopback port to listen on (0 picks one)')
      )
      .addOption(
        new Option('--host <host>', 'loopback address to listen on').default(
          '127.0.0.1'
        )
      )
      .option(
        '--sagemaker-role <arn>',
        'the SageMaker role of the setup check (default $SM_SSH_SAGEMAKER_ROLE, in Studio the execution role)'
      )
      .option(
        '--user-role <arn>',
        "the user role of the setup check (default $SM_SSH_USER_ROLE, else the caller's role)"
      )
      .option(
        '--studio',
        'the Studio case of the setup check: one execution role is both roles'
      )
      .addOption(
        new Option(
          '--refresh-seconds <n>',
          'how often the targets are listed while the panel watches (at least 2)'
        ).default('15')
      )
      .option(
        '--config-dir <dir>',
        'where sm-ssh keeps its key and pinned host keys (default ~/.config/sm-ssh)'
      )
      .option(
        '--identity <file>',
        'an existing private key instead of the one sm-ssh keeps'
      )
      .option(
        '--allow-origin <origin...>',
        'origins whose pages may open the event stream besides the request host (default $SM_SSH_ALLOW_ORIGINS; in Studio its domain)'
      )
      .option(
        '--verbose',
        'log one line per request on stderr (method, path, status, ms)'
      )
  ).action(async (flags: IServeFlags) => {
    if (flags.socket !== undefined && flags.port !== undefined) {
      throw new UsageError(
        '--socket and --port exclude each other',
        'pass one: --socket PATH (jupyter-server-proxy) or --port N'
      );
    }
    const port =
      flags.port === undefined
        ? 0
        : wholeNumber(
            flags.port,
            '--port',
            'pass a port from 1 to 65535, or 0 for a free one'
          );
    const refreshSeconds = wholeNumber(
      flags.refreshSeconds,
      '--refresh-seconds',
      'pass a number of seconds, at least 2'
    );
    if (flags.region !== undefined) {
      const { assertRegion } = await import('../../aws/regions.js');
      assertRegion(flags.region);
    }
    const { startBridge } = await import('../../bridge/index.js');
    const bridge = await startBridge({
      socketPath: flags.socket,
      port,
      host: flags.host,
      region: flags.region,
      profile: flags.profile,
      sagemakerRoleArn: flags.sagemakerRole,
      userRoleArn: flags.userRole,
      studio: flags.studio,
      refreshSeconds,
      configDir: flags.configDir,
      identityFile: flags.identity,
      allowOrigins: flags.allowOrigin,
      smSshCommand: [process.execPath, cliScript()],
      log: flags.verbose
        ? line => process.stderr.write(`sm-ssh serve: ${line}\n`)
        : undefined
    });
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({
            listening: bridge.address,
            ...(bridge.socketPath ? { socket: bridge.socketPath } : {}),
            ...(bridge.url ? { url: bridge.url, port: bridge.port } : {})
          })}\n`
        : `sm-ssh serve listening on ${bridge.address}\n`
    );
    await new Promise<void>(done => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    await bridge.close();
  });
}
