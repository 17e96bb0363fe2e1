/** Commands and shells on an ssh2 connection, with the remote exit status as the result. */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { OperationError } from '../errors.js';

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

/** Runs a command (with a PTY when `terminal` is given) and resolves with its exit status. */
export async function runCommand(
  client: Client,
  command: string,
  io: IChannelIo,
  terminal?: ITerminal
): Promise<number> {
  const pty: PseudoTtyOptions | undefined = terminal
    ? {
        term: terminal.term ?? 'xterm-256color',
        cols: terminal.cols,
        rows: terminal.rows
      }
    : undefined;
  const channel = await opened<ClientChannel>(
    'running the command',
    callback =>
      pty
        ? client.exec(command, { pty }, callback)
        : client.exec(command, callback)
  );
  return pipeChannel(channel, io);
}

/**
 * An interactive login shell, in a PTY when `terminal` is given (without one, as `ssh` does when stdin is not a
 * terminal); `onChannel` gets a function that follows the local terminal's size.
 */
export async function runShell(
  client: Client,
  io: IChannelIo,
  terminal?: ITerminal,
  onChannel?: (resize: (size: ITerminal) => void) => void
): Promise<number> {
  const channel = await opened<ClientChannel>('opening a shell', callback =>
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
  );
  onChannel?.(size => channel.setWindow(size.rows, size.cols, 0, 0));
  return pipeChannel(channel, io);
}
