/**
 * A sandbox "container": what a SageMaker job, endpoint or notebook is to the remote side. A directory with its own
 * `/etc/ssh`, `/etc/profile.d` (a copy of the machine's, where the bootstrap adds its file) and `/tmp` (and what the
 * caller mounts besides, e.g. a job's `/opt/ml`), and a main process (e.g. `sdk/remote/sm-ssh-init.sh`) running as
 * root in private mount, PID and UTS namespaces, on the machine's network — the same namespaces an instance host uses
 * (host.ts), but the sandbox starts nothing in it: whatever runs inside sets itself up, as it would in SageMaker.
 *
 * The namespace's first process forwards SIGTERM to the main process (SageMaker stops a job with SIGTERM) and, once
 * the main process has exited, reports every process still running in the namespace (zombies aside) before the
 * namespace dies with it: a main process that leaves something behind is seen, not hidden by the teardown.
 */
import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync
} from 'node:fs';
import { join } from 'node:path';
import { childrenOf, killNamespace, spawnIsolated } from './host.js';
import { shellJoin } from '../../shell.js';

/**
 * A copy of the machine's `/etc/profile.d` for the container, so that what the bootstrap writes there stays inside;
 * none where the machine has no such directory (a bind would create it on the machine).
 */
function privateProfileD(
  dir: string
): Array<{ source: string; target: string }> {
  const machine = '/etc/profile.d';
  if (!existsSync(machine)) {
    return [];
  }
  const copy = join(dir, 'etc', 'profile.d');
  mkdirSync(copy, { recursive: true, mode: 0o755 });
  for (const entry of readdirSync(machine, { withFileTypes: true })) {
    if (entry.isFile()) {
      copyFileSync(join(machine, entry.name), join(copy, entry.name));
    }
  }
  return [{ source: copy, target: machine }];
}

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
  /**
   * More directories of the sandbox's machine mounted inside (e.g. a job's private `/opt/ml`), before the private
   * `/tmp` (so a target below `/tmp` is hidden by it). A target missing on the machine is created there as an empty
   * directory (the mount namespace is private, the filesystem is not).
   */
  binds?: Array<{ source: string; target: string }>;
}

export interface IContainerExit {
  /** Exit code of the main process (128 + n when a signal ended it); null when the namespace was killed. */
  code: number | null;
  /** Processes the main process left running in the container, as `<pid> <command>` (namespace pids). */
  leftovers: string[];
}

const LEFTOVER = 'sm-ssh-container: left running: ';
/** `$0` of the shell that sets up a namespace's mounts before it execs the command (host.ts). */
const NAMESPACE_SETUP = 'sm-ssh-namespace';

/**
 * The container's first process: starts the main process, forwards TERM (and INT, as TERM: an asynchronous command
 * of a non-interactive shell ignores INT) to it, waits for it, then lists what is left in the namespace's /proc.
 */
function initScript(command: string[]): string {
  return [
    'main=; early=',
    // a TERM that comes before the main process is known is passed on as soon as it is
    'trap \'if [ -n "$main" ]; then kill -TERM "$main" 2>/dev/null; else early=1; fi\' TERM INT',
    `${shellJoin(command)} &`,
    'main=$!',
    '[ -z "$early" ] || kill -TERM "$main" 2>/dev/null',
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

/** The namespace's first process runs the init script (no longer the mounts) and has started the main process. */
function initReady(pid: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return !args.includes(NAMESPACE_SETUP) && childrenOf(pid).length > 0;
  } catch {
    return false;
  }
}

/** A running container. Create with `SandboxContainer.start()`; `remove()` kills what is left and deletes its dir. */
export class SandboxContainer {
  private text = '';
  private readonly listeners = new Set<() => void>();
  private readonly chunkListeners = new Set<(text: string) => void>();
  private finished = false;
  /** The sandbox killed the namespace before the main process exited. */
  private killed = false;
  /** Resolves when the main process has exited (and the namespace with it). */
  readonly exited: Promise<IContainerExit>;

  private constructor(
    /** The container's directory: `etc/ssh/`, `etc/profile.d/`, `tmp/`. */
    readonly dir: string,
    readonly hostname: string,
    private readonly child: ChildProcess
  ) {
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.text += text;
      this.chunkListeners.forEach(listener => listener(text));
      this.listeners.forEach(listener => listener());
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    // a spawn that fails (no setpriv) emits error, then close: the container ends with what went wrong in its output
    child.once('error', error =>
      append(Buffer.from(`sm-ssh-container: ${error.message}\n`))
    );
    this.exited = new Promise(resolve => {
      child.once('close', (code, signal) => {
        this.finished = true;
        this.listeners.forEach(listener => listener());
        resolve({
          code: signal || this.killed ? null : code,
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
    const child = spawnIsolated({
      // /tmp last: the sources of the others may be below the machine's /tmp, which it hides
      binds: [
        { source: join(dir, 'etc', 'ssh'), target: '/etc/ssh' },
        ...privateProfileD(dir),
        ...(options.binds ?? []),
        { source: join(dir, 'tmp'), target: '/tmp' }
      ],
      hostname,
      cwd: options.cwd ?? '/',
      command: initScript(options.command),
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        ...options.env
      }
    });
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

  /**
   * Calls `listener` with every piece of output (stdout and stderr as they come, not split into lines) from now on;
   * the returned function unsubscribes. What was printed before is in `output`.
   */
  onOutput(listener: (text: string) => void): () => void {
    this.chunkListeners.add(listener);
    return () => this.chunkListeners.delete(listener);
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
    for (let attempt = 0; attempt < 250 && !this.finished; attempt++) {
      const init =
        this.child.pid === undefined ? [] : childrenOf(this.child.pid);
      // the namespace's first process drops signals it has no handler for: wait until it runs the init script,
      // whose trap is set before it starts the main process
      if (init.length > 0 && init.every(initReady)) {
        init.forEach(pid => process.kill(pid, 'SIGTERM'));
        return;
      }
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
      this.killed ||= !this.finished;
      await killNamespace(this.child);
    }
    return this.exited;
  }

  /** Kills everything in the container and removes its directory. */
  async remove(): Promise<void> {
    this.killed ||= !this.finished;
    await killNamespace(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
