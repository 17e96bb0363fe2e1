/**
 * One shell script under supervision: bounded capture of its output, a timeout, and cancellation that kills it and
 * everything it started. Shared by the instance hosts (scripts in an instance's namespaces, host.ts) and the
 * stand-in agent (scripts in its own container, agent/local-shell.ts), so both report results the same way.
 */
import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

export interface IRunOptions {
  /** Kill the script (and everything it started) after this long. */
  timeoutMs?: number;
  /** Working directory inside the instance (default `/`). */
  cwd?: string;
  env?: Record<string, string>;
  /** Keep at most this many characters of stdout / stderr (the rest is read and dropped). */
  maxStdout?: number;
  maxStderr?: number;
}

export interface IRunResult {
  /** Exit code of the script; null when it was killed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Killed by `cancel()` or because the host stopped. */
  cancelled: boolean;
}

export interface IRunningScript {
  result: Promise<IRunResult>;
  /** Kills the script and everything it started. */
  cancel(): void;
}

/** What runs Run Command scripts: an instance host, or the stand-in agent's local shell. */
export interface IScriptRunner {
  run(script: string, options?: IRunOptions): IRunningScript;
}

/** Keeps the first `limit` characters of a stream, decoding UTF-8 across chunk boundaries. */
export class Capture {
  private readonly decoder = new StringDecoder('utf8');
  text = '';

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.text.length < this.limit) {
      this.text = (this.text + this.decoder.write(chunk)).slice(0, this.limit);
    }
  }

  end(): string {
    if (this.text.length < this.limit) {
      this.text = (this.text + this.decoder.end()).slice(0, this.limit);
    }
    return this.text;
  }
}

/**
 * Watches a spawned script (stdout and stderr piped): captures its output, kills it through `killTree` on timeout
 * or `cancel()`, and resolves once it has closed.
 */
export function supervise(
  child: ChildProcess,
  killTree: () => void,
  options: IRunOptions = {}
): IRunningScript {
  const stdout = new Capture(options.maxStdout ?? Number.MAX_SAFE_INTEGER);
  const stderr = new Capture(options.maxStderr ?? Number.MAX_SAFE_INTEGER);
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  let timedOut = false;
  let cancelled = false;
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          killTree();
        }, options.timeoutMs)
      : undefined;
  return {
    cancel: () => {
      cancelled = true;
      killTree();
    },
    result: new Promise<IRunResult>(resolve => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        resolve({
          exitCode: timedOut || cancelled ? null : code,
          signal,
          stdout: stdout.end(),
          stderr: stderr.end(),
          timedOut,
          cancelled: cancelled && !timedOut
        });
      };
      child.once('close', finish);
      child.once('error', error => {
        stderr.push(Buffer.from(String(error)));
        finish(127, null);
      });
    })
  };
}
