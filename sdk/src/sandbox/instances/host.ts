/**
 * One managed instance of the sandbox as a little host of its own: a directory holding the instance's `/etc/ssh`
 * (its own host keys and `sshd_config`) and `/tmp`, and a real OpenSSH `sshd` on a loopback port. The sshd and every
 * Run Command script run in private namespaces (mount, PID, UTS) where the instance's directories are bind-mounted
 * over `/etc/ssh` and `/tmp`: a script that writes `/etc/ssh/authorized_keys` changes what this instance's sshd
 * accepts and nothing on the machine the sandbox runs on. The network is the machine's (sshd listens on
 * 127.0.0.1 and a free port).
 *
 * Each namespace's first process is the child of `unshare --fork --kill-child`, started under
 * `setpriv --pdeathsig SIGKILL`: killing `unshare` (or the Node process dying) kills the namespace's init, and with
 * it every process in the namespace. No sshd outlives its host.
 */
import {
  execFile,
  spawn,
  type ChildProcess,
  type StdioOptions
} from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OperationError, UsageError } from '../../errors.js';
import { freePort } from '../moto.js';
import {
  supervise,
  type IRunOptions,
  type IRunningScript
} from './script-run.js';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';
const UNSHARE = '/usr/bin/unshare';
const SETPRIV = '/usr/bin/setpriv';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** What a process started by `spawnIsolated` sees. */
export interface IIsolation {
  /** Directories mounted as empty tmpfs first (so that bind targets can be created below them), e.g. `/home`. */
  tmpfs?: string[];
  /** Directories or files of the sandbox's machine bind-mounted over paths inside (missing ones made directories). */
  binds: Array<{ source: string; target: string }>;
  hostname: string;
  cwd: string;
  /** A `/bin/sh -c` script: the namespace's first process execs it. */
  command: string;
  env: Record<string, string>;
  /** Default: stdin ignored, stdout and stderr piped. */
  stdio?: StdioOptions;
}

/**
 * Starts `command` as the first process of new mount, PID and UTS namespaces with the isolation's mounts and
 * hostname. The script that enters them takes every path as an argument, never as text of its own.
 */
export function spawnIsolated(isolation: IIsolation): ChildProcess {
  const args: string[] = [];
  const arg = (value: string) => {
    args.push(value);
    return `"\${${args.length}}"`;
  };
  const steps = [
    ...(isolation.tmpfs ?? []).map(
      dir => `mount -t tmpfs -o mode=0755 tmpfs ${arg(dir)}`
    ),
    ...isolation.binds.map(({ source, target }) => {
      const quotedTarget = arg(target);
      return `{ [ -e ${quotedTarget} ] || mkdir -p ${quotedTarget}; } && mount --bind ${arg(source)} ${quotedTarget}`;
    }),
    `hostname ${arg(isolation.hostname)}`,
    `cd ${arg(isolation.cwd)}`,
    `exec /bin/sh -c ${arg(isolation.command)}`
  ];
  return spawn(
    SETPRIV,
    [
      '--pdeathsig',
      'SIGKILL',
      '--',
      UNSHARE,
      '--mount',
      '--propagation',
      'private',
      '--uts',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--',
      '/bin/sh',
      '-c',
      steps.join(' && '),
      'sm-ssh-namespace',
      ...args
    ],
    {
      stdio: isolation.stdio ?? ['ignore', 'pipe', 'pipe'],
      env: isolation.env,
      cwd: '/'
    }
  );
}

export interface IHostKey {
  /** `ed25519`, `ecdsa`, `rsa`. */
  type: string;
  /** The public key line (`ssh-ed25519 AAAA… root@host`). */
  publicKey: string;
}

export interface IInstanceHostOptions {
  /** Directory to create the instance's directory in (the sandbox's temp root). */
  root: string;
  /** Names the instance's directory; the managed instance id. */
  instanceId: string;
  /** The instance's hostname inside its namespaces (ComputerName). */
  hostname?: string;
  /** Public keys sshd accepts for root from the start (lines of `/etc/ssh/authorized_keys`). */
  authorizedKeys?: string[];
  /** Host key types to generate (default ed25519 and ecdsa; rsa is slow to generate). */
  hostKeyTypes?: string[];
}

function requireTools(): void {
  for (const tool of [SSHD, UNSHARE, SETPRIV]) {
    if (!existsSync(tool)) {
      throw new UsageError(
        `${tool} is missing; the sandbox's managed instances need it`,
        'apt-get install openssh-server util-linux (scripts/apt-packages.txt)'
      );
    }
  }
}

/**
 * Starts `command` as the first process of new mount, PID and UTS namespaces entered into the instance directory
 * `dir` (its `etc/ssh` and `tmp` bind-mounted over `/etc/ssh` and `/tmp`).
 */
export function spawnInInstance(
  dir: string,
  hostname: string,
  cwd: string,
  command: string,
  env: Record<string, string>
): ChildProcess {
  return spawnIsolated({
    binds: [
      { source: join(dir, 'etc', 'ssh'), target: '/etc/ssh' },
      { source: join(dir, 'tmp'), target: '/tmp' }
    ],
    hostname,
    cwd,
    command,
    env
  });
}

/** Children of a process, from the `children` file of each of its tasks in /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap(task =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number)
    );
  } catch {
    return [];
  }
}

/**
 * Kills the namespace's init (the child of `unshare`): the kernel then kills every process of the PID namespace,
 * and `unshare` reaps init and exits, so nothing is left as a zombie. Before `unshare` has forked, killing it is
 * enough (--kill-child takes the child along).
 */
export function killNamespace(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  const exited = new Promise<void>(resolve =>
    child.once('close', () => resolve())
  );
  const init = child.pid === undefined ? [] : childrenOf(child.pid);
  if (init.length > 0) {
    for (const pid of init) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } else {
    child.kill('SIGKILL');
  }
  return exited;
}

const DEFAULT_HOST_KEYS = ['ed25519', 'ecdsa'];

/** A running per-instance host. Create with `InstanceHost.start()`; `stop()` kills everything and removes its dir. */
export class InstanceHost {
  /** The sshd's loopback port (sessions for port 22 of the instance go here). */
  readonly sshHost = '127.0.0.1';
  private sshd?: ChildProcess;
  private sshdLog = '';
  private readonly scripts = new Set<IRunningScript>();
  private stopped = false;

  private constructor(
    readonly instanceId: string,
    /** The instance's directory: `etc/ssh/`, `tmp/`. */
    readonly dir: string,
    readonly hostname: string,
    readonly sshPort: number,
    readonly hostKeys: IHostKey[]
  ) {}

  /** The instance's `/etc/ssh` as seen from the sandbox's machine. */
  get etcSsh(): string {
    return join(this.dir, 'etc', 'ssh');
  }

  /** sshd's log (stderr, `-e`), the last 16 KiB. */
  get log(): string {
    return this.sshdLog;
  }

  /** True while the instance's sshd runs. */
  get running(): boolean {
    return (
      this.sshd !== undefined &&
      this.sshd.exitCode === null &&
      this.sshd.signalCode === null
    );
  }

  /** Process id of the `unshare` that holds the sshd's namespaces (for leak checks). */
  get pid(): number | undefined {
    return this.sshd?.pid;
  }

  static async start(options: IInstanceHostOptions): Promise<InstanceHost> {
    requireTools();
    // sshd's privilege-separation directory; the Debian service creates it at boot, which a fresh machine skips.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const dir = join(options.root, options.instanceId);
    const etcSsh = join(dir, 'etc', 'ssh');
    mkdirSync(join(etcSsh, 'authorized_keys.d'), { recursive: true });
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    chmodSync(join(dir, 'tmp'), 0o1777);
    try {
      // Read-only copies of what a Debian /etc/ssh also holds, so ssh and sshd inside behave as on a host.
      for (const file of ['moduli', 'ssh_config']) {
        if (existsSync(join('/etc/ssh', file))) {
          copyFileSync(join('/etc/ssh', file), join(etcSsh, file));
        }
      }
      const hostname = options.hostname ?? options.instanceId;
      const types = options.hostKeyTypes ?? DEFAULT_HOST_KEYS;
      await Promise.all(
        types.map(type =>
          run('ssh-keygen', [
            '-q',
            '-t',
            type,
            '-N',
            '',
            '-C',
            `root@${hostname}`,
            '-f',
            join(etcSsh, `ssh_host_${type}_key`)
          ])
        )
      );
      const hostKeys = types.map(type => ({
        type,
        publicKey: readFileSync(
          join(etcSsh, `ssh_host_${type}_key.pub`),
          'utf8'
        ).trim()
      }));
      writeFileSync(
        join(etcSsh, 'authorized_keys'),
        (options.authorizedKeys ?? []).map(key => `${key.trim()}\n`).join(''),
        { mode: 0o600 }
      );
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const port = await freePort();
        const host = new InstanceHost(
          options.instanceId,
          dir,
          hostname,
          port,
          hostKeys
        );
        host.writeConfig(types);
        try {
          await host.startSshd();
          return host;
        } catch (error) {
          lastError = error;
          await host.stopSshd();
        }
      }
      throw lastError;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private writeConfig(types: string[]): void {
    writeFileSync(
      join(this.etcSsh, 'sshd_config'),
      [
        `# sm-ssh sandbox: managed instance ${this.instanceId} (paths as seen inside the instance)`,
        `Port ${this.sshPort}`,
        'ListenAddress 127.0.0.1',
        ...types.map(type => `HostKey /etc/ssh/ssh_host_${type}_key`),
        'AuthorizedKeysFile /etc/ssh/authorized_keys',
        'PidFile /etc/ssh/sshd.pid',
        'PermitRootLogin yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'ClientAliveInterval 15',
        'AcceptEnv LANG LC_*',
        `Subsystem sftp ${SFTP_SERVER}`,
        ''
      ].join('\n')
    );
  }

  private async startSshd(): Promise<void> {
    const child = spawnInInstance(
      this.dir,
      this.hostname,
      '/',
      `exec ${SSHD} -D -e -f /etc/ssh/sshd_config`,
      { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }
    );
    this.sshd = child;
    const append = (chunk: Buffer) => {
      this.sshdLog = (this.sshdLog + chunk.toString('utf8')).slice(-16384);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const deadline = Date.now() + 10_000;
    while (!/Server listening on/.test(this.sshdLog)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new OperationError(
          `sshd of ${this.instanceId} did not start: ${this.sshdLog.trim().split('\n').pop() ?? ''}`
        );
      }
      if (Date.now() > deadline) {
        throw new OperationError(
          `sshd of ${this.instanceId} did not listen within 10 s`
        );
      }
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }

  private async stopSshd(): Promise<void> {
    if (this.sshd) {
      await killNamespace(this.sshd);
    }
  }

  /**
   * Runs a shell script inside the instance (`sh -c`, as root, private /etc/ssh and /tmp, hostname), with a
   * timeout that kills the script and everything it started.
   */
  run(script: string, options: IRunOptions = {}): IRunningScript {
    if (this.stopped) {
      throw new OperationError(`instance ${this.instanceId} has stopped`);
    }
    const child = spawnInInstance(
      this.dir,
      this.hostname,
      options.cwd ?? '/',
      script,
      {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        USER: 'root',
        LANG: 'C.UTF-8',
        ...options.env
      }
    );
    const handle = supervise(child, () => void killNamespace(child), options);
    void handle.result.then(() => this.scripts.delete(handle));
    this.scripts.add(handle);
    return handle;
  }

  /** Kills sshd (and its sessions) and running scripts, and removes the instance's directory. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const script of this.scripts) {
      script.cancel();
    }
    await Promise.all([
      this.stopSshd(),
      ...[...this.scripts].map(script => script.result)
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Processes on this machine whose mounts involve `path` (e.g. the sandbox's temp root): every process of an
 * instance's namespaces has its bind mounts in `/proc/<pid>/mountinfo`. Empty once every host has stopped.
 */
export function processesUsing(path: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (readFileSync(`/proc/${entry}/mountinfo`, 'utf8').includes(path)) {
        found.push(Number(entry));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
