/**
 * A sandbox "container": what a SageMaker job, endpoint or notebook is to the remote side. A directory with its own
 * `/etc/ssh` and `/tmp`, and a main process (e.g. `sdk/remote/sm-ssh-init.sh`) running as root in private mount,
 * PID and UTS namespaces, on the machine's network — the same namespaces an instance host uses (host.ts), but the
 * sandbox starts nothing in it: whatever runs inside sets itself up, as it would in SageMaker.
 *
 * The namespace's first process forwards SIGTERM to the main process (SageMaker stops a job with SIGTERM) and, once
 * the main process has exited, reports every process still running in the namespace (zombies aside) before the
 * namespace dies with it: a main process that leaves something behind is seen, not hidden by the teardown.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, killNamespace, spawnInInstance } from './host.js';
import { shellJoin } from '../../shell.js';

export interface IContainerOptions {
  /** Directory to create the container's directory in. */
  root: string;
  /** Names the container's directory. */
  name: string;
  /** Hostname inside the container (default: the name). */
  hostname?: string;
  /** The main process: program and arguments. */
  command: string[];
  env?: Record<string, string>;
  /** Working directory inside the container (default `/`). */
  cwd?: string;
}

export interface IContainerExit {
  /** Exit code of the main process (128 + n when a signal ended it); null when the namespace was killed. */
  code: number | null;
  /** Processes the main process left running in the container, as `<pid> <command>` (namespace pids). */
  leftovers: string[];
}

const LEFTOVER = 'sm-ssh-container: left running: ';

/**
 * The container's first process: starts the main process, forwards TERM (and INT, as TERM: an asynchronous command
 * of a non-interactive shell ignores INT) to it, waits for it, then lists what is left in the namespace's /proc.
 */
function initScript(command: string[]): string {
  return [
    'main=',
    'trap \'kill -TERM "$main" 2>/dev/null\' TERM INT',
    `${shellJoin(command)} &`,
    'main=$!',
    'while :; do',
    '  wait "$main"; code=$?',
    '  kill -0 "$main" 2>/dev/null || break',
    'done',
    'for entry in /proc/[0-9]*; do',
    '  pid=${entry#/proc/}',
    '  [ "$pid" = 1 ] && continue',
    '  stat=; comm=',
    '  read -r stat < "$entry/stat" 2>/dev/null',
    // a zombie has ended; only the namespace's end reaps it
    '  case "$stat" in *") Z "*) continue ;; esac',
    '  read -r comm < "$entry/comm" 2>/dev/null',
    `  [ -n "$comm" ] && echo "${LEFTOVER}$pid $comm" >&2`,
    'done',
    'exit "$code"'
  ].join('\n');
}

/** A running container. Create with `SandboxContainer.start()`; `remove()` kills what is left and deletes its dir. */
export class SandboxContainer {
  private text = '';
  private readonly listeners = new Set<() => void>();
  private finished = false;
  /** Resolves when the main process has exited (and the namespace with it). */
  readonly exited: Promise<IContainerExit>;

  private constructor(
    /** The container's directory: `etc/ssh/`, `tmp/`. */
    readonly dir: string,
    readonly hostname: string,
    private readonly child: ChildProcess
  ) {
    const append = (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      this.listeners.forEach(listener => listener());
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise(resolve => {
      child.once('close', (code, signal) => {
        this.finished = true;
        this.listeners.forEach(listener => listener());
        resolve({
          code: signal ? null : code,
          leftovers: this.text
            .split('\n')
            .filter(line => line.startsWith(LEFTOVER))
            .map(line => line.slice(LEFTOVER.length))
        });
      });
    });
  }

  static start(options: IContainerOptions): SandboxContainer {
    const dir = join(options.root, options.name);
    mkdirSync(join(dir, 'etc', 'ssh'), { recursive: true, mode: 0o755 });
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    chmodSync(join(dir, 'tmp'), 0o1777);
    const hostname = options.hostname ?? options.name;
    const child = spawnInInstance(
      dir,
      hostname,
      options.cwd ?? '/',
      initScript(options.command),
      {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        ...options.env
      }
    );
    return new SandboxContainer(dir, hostname, child);
  }

  /** The container's `/etc/ssh` as seen from the sandbox's machine. */
  get etcSsh(): string {
    return join(this.dir, 'etc', 'ssh');
  }

  /** Everything the container has printed (stdout and stderr). */
  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return !this.finished;
  }

  /** Resolves with the first match of `pattern` in the output; rejects when the container ends or time runs out. */
  waitForOutput(
    pattern: RegExp,
    timeoutMs = 60_000
  ): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.text.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (this.finished) {
          done();
          reject(
            new Error(
              `container ${this.hostname} ended before printing ${pattern}:\n${this.text}`
            )
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `container ${this.hostname} did not print ${pattern} within ${timeoutMs} ms:\n${this.text}`
          )
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends SIGTERM to the main process (through the container's first process), as SageMaker stops a job. */
  async terminate(): Promise<void> {
    for (let attempt = 0; attempt < 100 && !this.finished; attempt++) {
      const init =
        this.child.pid === undefined ? [] : childrenOf(this.child.pid);
      if (init.length > 0) {
        init.forEach(pid => process.kill(pid, 'SIGTERM'));
        return;
      }
      // unshare has not forked the namespace's first process yet
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM, then the main process's exit; kills the namespace if that takes longer than `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<IContainerExit> {
    await this.terminate();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(resolve => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      await killNamespace(this.child);
    }
    return this.exited;
  }

  /** Kills everything in the container and removes its directory. */
  async remove(): Promise<void> {
    await killNamespace(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
