/** `sm-ssh sandbox`: the local sandbox cloud in the foreground, for demos and manual tests. */
import type { Command } from 'commander';
import { SANDBOX_CREDENTIALS, startSandbox } from '../../sandbox/index.js';
import { UsageError } from '../../errors.js';
import { outputFor, type ICommonOptions } from '../common.js';

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run the local sandbox (SSM service settings so far) on loopback until interrupted'
    )
    .option('--port <port>', 'port to listen on (default: a free one)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--moto <moto_server>',
      'also start moto from this moto_server executable, for IAM, STS, SageMaker and S3'
    )
    .option('--json', 'print the endpoint and environment as JSON')
    .action(
      async (
        flags: ICommonOptions & { port: string; host: string; moto?: string }
      ) => {
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new UsageError(
            `--port "${flags.port}" is not a port number`,
            'pass a number from 0 to 65535 (0 picks a free port)'
          );
        }
        const sandbox = await startSandbox({
          host: flags.host,
          port,
          motoServer: flags.moto
        });
        const out = outputFor(flags);
        out.result({
          url: sandbox.url,
          motoUrl: sandbox.moto?.url,
          env: { ...SANDBOX_CREDENTIALS, ...sandbox.env }
        });
        out.line(`sm-ssh sandbox listening on ${sandbox.url}`);
        if (sandbox.moto) {
          out.line(`moto (IAM, STS, SageMaker, S3) on ${sandbox.moto.url}`);
        }
        out.line('Point the SDK, the CLI and the AWS CLI at it with:');
        Object.entries({ ...SANDBOX_CREDENTIALS, ...sandbox.env }).forEach(
          ([key, value]) => out.line(`  export ${key}=${value}`)
        );
        await new Promise<void>(resolve => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await sandbox.close();
      }
    );
}
