/** `sm-ssh sandbox up|down|status`: the local sandbox cloud, in the foreground or detached. */
import { Command, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors.js';
import type { ISandboxState } from '../../sandbox/index.js';

/** The sandbox, loaded when a sandbox command runs (it pulls in the data-channel service and the agent). */
const sandboxModule = () => import('../../sandbox/index.js');
import { outputFor, type ICommonOptions } from '../common.js';
import type { IOutput } from '../output.js';

interface IUpFlags extends ICommonOptions {
  port: string;
  host: string;
  moto?: string | false;
  detach?: boolean;
  /** false with --no-demo: no demo instances. */
  demo?: boolean;
  /** false with --no-pacing: the agent sends without the real agent's 1 KiB / 1 ms pacing. */
  pacing?: boolean;
}

const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function printState(out: IOutput, state: ISandboxState): void {
  out.result(state);
  out.line(
    `sm-ssh sandbox running (pid ${state.pid}) on ${state.url}${state.motoUrl ? `, moto on ${state.motoUrl}` : ''}`
  );
  out.line('Point the SDK, the CLI and the AWS CLI at it with:');
  Object.entries(state.env).forEach(([key, value]) =>
    out.line(`  export ${key}=${value}`)
  );
  for (const instance of state.instances) {
    out.line(
      `  ${instance.instanceId}  ${instance.kind.padEnd(10)} ${instance.name} (node ${instance.node}${instance.owner ? `, owner ${instance.owner}` : ''})`
    );
  }
  const endpoint = state.instances.find(
    instance => instance.kind === 'inference' && instance.resourceArn
  );
  if (endpoint) {
    const domain = /:app\/([^/]+)\//.exec(
      state.instances.find(instance => instance.kind === 'studio')
        ?.resourceArn ?? ''
    )?.[1];
    out.line(
      `SageMaker behind them: the jobs InProgress, the notebook instance, the endpoint and the Studio apps${domain ? ` (domain ${domain})` : ''} InService;`
    );
    out.line(
      `  the endpoint's instance is in the log group /aws/sagemaker/Endpoints/${endpoint.name} (Logs Insights)`
    );
  }
  for (const space of state.spaces ?? []) {
    out.line(
      `  space ${space.target} (remote access ${space.remoteAccess === 'ENABLED' ? 'on' : 'off'})`
    );
  }
  if (state.identityFile) {
    out.line(
      `Demo instances accept ${state.user}@ with the key ${state.identityFile}, e.g.:`
    );
    out.line(
      `  ssh -i ${state.identityFile} -o ProxyCommand='sm-ssh proxy %h' ${state.user}@${state.instances[0]?.instanceId ?? 'mi-…'}`
    );
  }
  out.line('Stop it with: sm-ssh sandbox down');
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--port "${text}" is not a port number`,
      'pass a number from 0 to 65535 (0 picks a free port)'
    );
  }
  return port;
}

async function runForeground(flags: IUpFlags): Promise<void> {
  const {
    createDemoFleet,
    findMotoServer,
    removeSandboxState,
    SANDBOX_CREDENTIALS,
    sandboxCaller,
    startSandbox,
    writeSandboxState
  } = await sandboxModule();
  const motoServer =
    flags.moto === false ? undefined : findMotoServer(flags.moto);
  const sandbox = await startSandbox({
    host: flags.host,
    port: parsePort(flags.port),
    motoServer,
    pacing: flags.pacing
  });
  const fleet =
    flags.demo === false
      ? undefined
      : await createDemoFleet(sandbox.ssm.instances, {
          // the demo's instances belong to whoever the fake credentials are, so connect works as it would on AWS
          owner: sandbox.moto ? await sandboxCaller(sandbox) : undefined,
          cloud: sandbox.moto
            ? { url: sandbox.url, sagemaker: sandbox.sagemaker }
            : undefined
        });
  const state: ISandboxState = {
    pid: process.pid,
    url: sandbox.url,
    motoUrl: sandbox.moto?.url,
    // AWS_DEFAULT_REGION too: the AWS CLI v1 reads only that one
    env: {
      ...SANDBOX_CREDENTIALS,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      ...sandbox.env
    },
    instances: (fleet?.instances ?? []).map(
      ({ instanceId, name, kind, owner, node, resourceArn }) => ({
        instanceId,
        name,
        kind,
        owner: owner ?? '',
        node,
        ...(fleet?.resources ? { resourceArn } : {})
      })
    ),
    spaces: (fleet?.spaces ?? []).map(({ target, spaceArn, remoteAccess }) => ({
      target,
      spaceArn,
      remoteAccess
    })),
    identityFile: fleet?.identityFile,
    user: fleet ? 'root' : undefined,
    startedAt: new Date().toISOString()
  };
  writeSandboxState(state);
  printState(outputFor(flags), state);
  await new Promise<void>(resolve => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  removeSandboxState();
}

async function up(flags: IUpFlags): Promise<void> {
  const { findMotoServer, launchDetached, readSandboxState } =
    await sandboxModule();
  const running = readSandboxState();
  if (running) {
    throw new UsageError(
      `a sandbox is already running (pid ${running.pid}, ${running.url})`,
      'use it (sm-ssh sandbox status --json), or stop it first: sm-ssh sandbox down'
    );
  }
  if (!flags.detach) {
    await runForeground(flags);
    return;
  }
  const args = ['sandbox', 'up', '--port', flags.port, '--host', flags.host];
  if (flags.demo === false) {
    args.push('--no-demo');
  }
  if (flags.pacing === false) {
    args.push('--no-pacing');
  }
  if (flags.moto === false) {
    args.push('--no-moto');
  } else {
    args.push('--moto', findMotoServer(flags.moto));
  }
  printState(outputFor(flags), await launchDetached(CLI_MAIN, args));
}

export function registerSandboxCommand(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description(
      'the local sandbox cloud: AWS-shaped services on loopback, no AWS account needed'
    );
  sandbox
    .command('up')
    .description(
      'start the sandbox (SSM, SageMaker jobs and Studio apps, Logs Insights; moto behind it for IAM/STS/S3 and the rest) and print how to use it'
    )
    .option(
      '--port <port>',
      'port of the sandbox endpoint (default: a free one)',
      '0'
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--moto <moto_server>',
      "moto_server to start (default: SM_SSH_MOTO_SERVER, the checkout's .venv, or PATH)"
    )
    .option('--no-moto', 'do not start moto')
    .option('--no-demo', 'start without the demo managed instances')
    .option(
      '--no-pacing',
      "send without the real agent's 1 KiB / 1 ms pacing (to measure our own overhead)"
    )
    .option('--detach', 'run in the background and return once it is ready')
    .addOption(new Option('--json', 'print the state as JSON'))
    .action(up);
  sandbox
    .command('down')
    .description('stop the running sandbox and everything it started')
    .option('--json', 'print the result as JSON')
    .action(async (flags: ICommonOptions) => {
      const { readSandboxState, stopSandbox } = await sandboxModule();
      const state = readSandboxState();
      const out = outputFor(flags);
      if (!state) {
        out.result({ stopped: false });
        out.line('No sandbox is running.');
        return;
      }
      await stopSandbox(state);
      out.result({ stopped: true, pid: state.pid });
      out.line(`Stopped the sandbox (pid ${state.pid}).`);
    });
  sandbox
    .command('status')
    .description('show the running sandbox')
    .option('--json', 'print the state as JSON')
    .action(async (flags: ICommonOptions) => {
      const { readSandboxState } = await sandboxModule();
      const state = readSandboxState();
      const out = outputFor(flags);
      if (!state) {
        out.result(null);
        out.line(
          'No sandbox is running: start one with sm-ssh sandbox up --detach'
        );
        process.exitCode = 1;
        return;
      }
      printState(out, state);
    });
}
