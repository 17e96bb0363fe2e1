/**
 * `sm-ssh connect <target> [-L …] [-R …] [--user U] [-- command]`: an interactive shell (with the kind's default
 * forwards) or a command whose exit status becomes ours; `sm-ssh exec <target> -- command` runs a command only,
 * and with --json prints its output and status as one JSON document.
 */
import { Command, Option } from 'commander';
import { PassThrough, Writable } from 'node:stream';
import { UsageError } from '../../errors.js';
import type { TargetKind } from '../../names/index.js';
import type { IForwardSpec, ISshConnection } from '../../ssh/index.js';
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

interface IConnectFlags extends ICommonOptions, ITargetFlags {
  user?: string;
  L: string[];
  R: string[];
  defaultForwards: boolean;
}

const collect = (value: string, list: string[]) => [...list, value];
/** What `exec --json` keeps of each output stream. */
const MAX_JSON_OUTPUT = 16 * 1024 * 1024;

async function open(
  target: string,
  flags: IConnectFlags,
  label: string
): Promise<ISshConnection> {
  const { openSsh } = await import('../../ssh/index.js');
  const options = prepareOptions(flags, label);
  try {
    return await openSsh(await clientsFor(flags), target, {
      ...options,
      user: flags.user
    });
  } finally {
    options.stop();
  }
}

function forwardsOf(
  flags: IConnectFlags,
  kind: TargetKind | undefined,
  interactive: boolean,
  ssh: typeof import('../../ssh/index.js')
): IForwardSpec[] {
  const explicit = [
    ...flags.L.map(spec => ssh.parseForward('L', spec)),
    ...flags.R.map(spec => ssh.parseForward('R', spec))
  ];
  if (!interactive || !flags.defaultForwards) {
    return explicit;
  }
  // an explicit forward of the same port and direction replaces the default one
  const taken = new Set(
    explicit.map(spec => `${spec.direction}${spec.bindPort}`)
  );
  return [
    ...ssh
      .defaultForwards(kind)
      .filter(spec => !taken.has(`${spec.direction}${spec.bindPort}`)),
    ...explicit
  ];
}

/** The JSON fields saying where a connection went: `via`, and the managed instance or the space ARN. */
export function whereOf(
  connection: Pick<ISshConnection, 'resolved'>
): { via: string; instanceId: string } | { via: string; spaceArn: string } {
  const { resolved } = connection;
  return resolved.via === 'remote-access'
    ? { via: resolved.via, spaceArn: resolved.space.spaceArn }
    : { via: resolved.via, instanceId: resolved.instance.instanceId };
}

/** Collects up to MAX_JSON_OUTPUT bytes of a stream. */
function collector(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (size < MAX_JSON_OUTPUT) {
        chunks.push(chunk.subarray(0, MAX_JSON_OUTPUT - size));
        size += chunk.length;
      }
      callback();
    }
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runInteractive(connection: ISshConnection): Promise<number> {
  const { runShell } = await import('../../ssh/index.js');
  const stdin = process.stdin;
  const tty = stdin.isTTY && process.stdout.isTTY;
  if (tty) {
    stdin.setRawMode(true);
  }
  const input = new PassThrough();
  stdin.pipe(input);
  try {
    return await runShell(
      connection.client,
      { stdin: input, stdout: process.stdout, stderr: process.stderr },
      tty
        ? {
            term: process.env.TERM,
            cols: process.stdout.columns,
            rows: process.stdout.rows
          }
        : undefined,
      resize =>
        process.stdout.on('resize', () =>
          resize({
            cols: process.stdout.columns,
            rows: process.stdout.rows
          })
        ),
      connection.environment
    );
  } finally {
    stdin.unpipe(input);
    if (tty) {
      stdin.setRawMode(false);
    }
    stdin.pause();
  }
}

async function connectAction(
  target: string,
  words: string[],
  flags: IConnectFlags,
  mode: 'connect' | 'exec'
): Promise<void> {
  if (mode === 'exec' && words.length === 0) {
    throw new UsageError(
      'exec needs a command',
      `sm-ssh exec ${target} -- <command>`
    );
  }
  const ssh = await import('../../ssh/index.js');
  // bad -L/-R values are usage errors before any AWS call
  forwardsOf(flags, undefined, false, ssh);
  const output = outputFor(flags);
  const label = `sm-ssh ${mode}`;
  const connection = await open(target, flags, label);
  // a signal ends the session at AWS too, instead of leaving it to time out there
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    void connection
      .close()
      .then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  signals.forEach(signal => process.once(signal, onSignal));
  const command = words.join(' ');
  const interactive = words.length === 0;
  try {
    const { target: parsed } = connection.resolved;
    // a Studio app reached through its space's remote access gets the space's forwards (none), not the kernel's
    const kind =
      connection.resolved.via === 'remote-access'
        ? 'space'
        : parsed.form === 'instance'
          ? undefined
          : parsed.kind;
    const specs = forwardsOf(flags, kind, interactive, ssh);
    const forwards = await ssh.startForwards(
      connection.client,
      specs,
      (spec, error) =>
        process.stderr.write(
          `${label}: warning: ${ssh.formatForward(spec)} not set up: ${error.message}\n`
        )
    );
    if (flags.verbose && forwards.length > 0) {
      process.stderr.write(
        `${label}: forwarding ${forwards.map(f => ssh.formatForward(f.spec)).join(' ')}\n`
      );
    }
    let status: number;
    if (interactive) {
      status = await runInteractive(connection);
    } else if (output.json) {
      const stdout = collector();
      const stderr = collector();
      status = await ssh.runCommand(
        connection.client,
        command,
        { stdout: stdout.stream, stderr: stderr.stream },
        undefined,
        connection.environment
      );
      output.result({
        target: connection.resolved.name,
        ...whereOf(connection),
        node: connection.resolved.node,
        user: connection.user,
        command,
        exitCode: status,
        stdout: stdout.text(),
        stderr: stderr.text()
      });
    } else {
      status = await ssh.runCommand(
        connection.client,
        command,
        {
          stdin: process.stdin.isTTY ? undefined : process.stdin,
          stdout: process.stdout,
          stderr: process.stderr
        },
        undefined,
        connection.environment
      );
    }
    forwards.forEach(forward => forward.close());
    process.exitCode = status;
  } finally {
    signals.forEach(signal => process.off(signal, onSignal));
    await connection.close();
    process.stdin.destroy();
  }
}

function targetCommand(
  program: Command,
  name: string,
  description: string
): Command {
  return withTargetOptions(
    withCommonOptions(
      program
        .command(name)
        .description(description)
        .argument(
          '<target>',
          'my-job.training.sagemaker, my-space.d-abc123.space.sagemaker, an mi-… id or a SageMaker ARN'
        )
        .argument('[command...]', 'after --: the command to run')
        .option(
          '--user <user>',
          'login user (default root; sagemaker-user on spaces)'
        )
    )
  );
}

export function registerConnectCommands(program: Command): void {
  targetCommand(
    program,
    'connect',
    'open a shell on a target (or run a command after --), with its default port forwards'
  )
    .addOption(
      new Option(
        '-L <spec>',
        'local forward [bind:]port:host:hostport (repeatable)'
      )
        .argParser(collect)
        .default([])
    )
    .addOption(
      new Option(
        '-R <spec>',
        'remote forward [bind:]port:host:hostport (repeatable)'
      )
        .argParser(collect)
        .default([])
    )
    .option('--no-default-forwards', "leave out the kind's default forwards")
    .action((target: string, words: string[], flags: IConnectFlags) =>
      connectAction(target, words, flags, 'connect')
    );
  targetCommand(
    program,
    'exec',
    'run a command on a target and exit with its status'
  ).action((target: string, words: string[], flags: IConnectFlags) =>
    connectAction(
      target,
      words,
      { ...flags, L: [], R: [], defaultForwards: false },
      'exec'
    )
  );
}
