/**
 * Commands and shells on an ssh2 connection, with the remote exit status as the result; with an environment the
 * server may not set itself (remote access sets neither HOME nor USER), set in the command line too.
 */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type {
  Client,
  ClientChannel,
  ExecOptions,
  PseudoTtyOptions
} from 'ssh2';
import { OperationError } from '../errors.js';
import { shellQuote } from '../shell.js';

/** Variables a session must have, sent as env requests and set in the command line as well. */
export type SessionEnvironment = Readonly<Record<string, string>>;

/** `export A=1 B=2; ` for a POSIX shell (empty without variables). */
export function exportPrefix(env: SessionEnvironment | undefined): string {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) {
    return '';
  }
  for (const [name] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TypeError(`"${name}" is not an environment variable name`);
    }
  }
  return `export ${entries.map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ')}; `;
}

/**
 * The interactive shell as a command: the variables exported, the home directory as cwd (as sshd does), then the
 * user's login shell in place of this one.
 */
export function loginShellCommand(env: SessionEnvironment): string {
  return `${exportPrefix(env)}cd 2>/dev/null; s="\${SHELL:-/bin/bash}"; [ -x "$s" ] || s=/bin/sh; exec "$s" -l`;
}

export interface IChannelIo {
  /** What to send to the remote side's stdin; default none (stdin is closed at once). */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
}

export interface ITerminal {
  /** `TERM` (default xterm-256color). */
  term?: string;
  cols: number;
  rows: number;
}

/** A signal's exit status as shells report it (128 + its number). */
function statusOf(code: number | null | undefined, signal?: string): number {
  if (typeof code === 'number') {
    return code;
  }
  const number = signal
    ? constants.signals[`SIG${signal}` as keyof typeof constants.signals]
    : undefined;
  return number ? 128 + number : 255;
}

function pipeChannel(channel: ClientChannel, io: IChannelIo): Promise<number> {
  return new Promise(resolve => {
    let status = 255;
    channel.once('exit', (code: number | null, signal?: string) => {
      status = statusOf(code, signal);
    });
    channel.pipe(io.stdout, { end: false });
    channel.stderr.pipe(io.stderr, { end: false });
    if (io.stdin) {
      io.stdin.pipe(channel);
    } else {
      channel.end();
    }
    channel.once('close', () => {
      io.stdin?.unpipe(channel);
      resolve(status);
    });
  });
}

function opened<T>(
  what: string,
  start: (callback: (error: Error | undefined, value: T) => void) => void
): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, value) =>
      error
        ? reject(
            new OperationError(
              `${what} failed: ${error.message}`,
              'check the sshd log on the container'
            )
          )
        : resolve(value)
    )
  );
}

function ptyOf(terminal: ITerminal | undefined): PseudoTtyOptions | undefined {
  return terminal
    ? {
        term: terminal.term ?? 'xterm-256color',
        cols: terminal.cols,
        rows: terminal.rows
      }
    : undefined;
}

function execChannel(
  client: Client,
  what: string,
  command: string,
  terminal: ITerminal | undefined,
  env: SessionEnvironment | undefined
): Promise<ClientChannel> {
  const options: ExecOptions = {};
  const pty = ptyOf(terminal);
  if (pty) {
    options.pty = pty;
  }
  if (env && Object.keys(env).length > 0) {
    options.env = { ...env };
  }
  return opened<ClientChannel>(what, callback =>
    Object.keys(options).length > 0
      ? client.exec(command, options, callback)
      : client.exec(command, callback)
  );
}

/**
 * Runs a command (with a PTY when `terminal` is given) and resolves with its exit status. With `env`, the
 * variables go as env requests and, since a server may ignore those, as an `export …;` before the command.
 */
export async function runCommand(
  client: Client,
  command: string,
  io: IChannelIo,
  terminal?: ITerminal,
  env?: SessionEnvironment
): Promise<number> {
  const channel = await execChannel(
    client,
    'running the command',
    `${exportPrefix(env)}${command}`,
    terminal,
    env
  );
  return pipeChannel(channel, io);
}

/**
 * An interactive login shell, in a PTY when `terminal` is given (without one, as `ssh` does when stdin is not a
 * terminal); `onChannel` gets a function that follows the local terminal's size.
 *
 * With `env`, the shell is an exec of {@link loginShellCommand} (with the same PTY) rather than a `shell` request:
 * a `shell` channel has no command line to set variables in except by typing into the shell (echoed, and racing
 * its prompt and rc files), and remote access's server sets neither HOME nor USER, nor need it honour env requests.
 */
export async function runShell(
  client: Client,
  io: IChannelIo,
  terminal?: ITerminal,
  onChannel?: (resize: (size: ITerminal) => void) => void,
  env?: SessionEnvironment
): Promise<number> {
  const channel = await (env && Object.keys(env).length > 0
    ? execChannel(
        client,
        'opening a shell',
        loginShellCommand(env),
        terminal,
        env
      )
    : opened<ClientChannel>('opening a shell', callback =>
        terminal
          ? client.shell(
              {
                term: terminal.term ?? 'xterm-256color',
                cols: terminal.cols,
                rows: terminal.rows
              },
              callback
            )
          : client.shell(false, callback)
      ));
  onChannel?.(size => channel.setWindow(size.rows, size.cols, 0, 0));
  return pipeChannel(channel, io);
}
