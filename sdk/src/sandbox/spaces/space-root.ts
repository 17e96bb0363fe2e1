/**
 * A Studio space's own root in the sandbox: a directory per space holding `home/sagemaker-user`, `tmp` and
 * `etc/{passwd,group}`. Every process a remote-access session starts runs in private mount, UTS and PID namespaces
 * where a tmpfs covers `/home`, the space's home is bind-mounted on `/home/sagemaker-user`, its `tmp` on `/tmp` and
 * its account files over the machine's, with the space's name as hostname: files persist from one session to the
 * next, and nothing lands in the machine's /home. The processes run as `sagemaker-user` (uid 1000, gid 100), as a
 * space's do on AWS, with no way back to root.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPACE_HOME, SPACE_USER } from '../../spaces/types.js';
import { shellQuote } from '../../shell.js';
import { spawnIsolated } from '../instances/host.js';
import { SPACE_GID, SPACE_UID, spaceAccounts } from './space-users.js';

/**
 * Becomes `sagemaker-user` for good: real, effective and saved ids, no supplementary groups, no capabilities left,
 * and no_new_privs, so that no setuid program (su, sudo) leads back to root.
 */
const AS_SPACE_USER = `/usr/bin/setpriv --reuid=${SPACE_UID} --regid=${SPACE_GID} --clear-groups --no-new-privs --`;

/**
 * What a space's processes start with. No HOME, no USER: AWS's remote-access sessions do not set them (the client
 * does, with env requests).
 */
const SPACE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  SHELL: '/bin/bash'
};

/**
 * The namespace's first process. PID 1 of a namespace ignores the signals it has no handler for, so the command
 * must not be it: this init runs the command as its child, forwards signals to it, exits with its status and, when
 * a signal ended it, writes the signal's number on fd 3 (an exit status cannot tell `exit 143` from SIGTERM).
 */
const INIT = [
  'use Fcntl;',
  'open(my $report, \'>&=\', 3) or die "fd 3: $!";',
  'fcntl($report, F_SETFD, FD_CLOEXEC);',
  'my $pid = fork() // die "fork: $!";',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; exit 127; }',
  'for my $name (qw(TERM INT HUP QUIT USR1 USR2 ALRM)) { $SIG{$name} = sub { kill $name, $pid } }',
  'while (waitpid($pid, 0) != $pid) { }',
  'my $status = $?;',
  'if ($status & 127) { syswrite($report, $status & 127); exit(128 + ($status & 127)); }',
  'exit($status >> 8);'
].join(' ');

/** A command running in a space; `ended` tells its exit code, or the signal that ended it. */
export interface ISpaceProcess {
  child: ChildProcess;
  /** The namespace's init (the command's parent), to send the client's signals to. */
  ended: Promise<{ code: number | null; signal?: NodeJS.Signals }>;
}

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM'
};

export class SpaceRoot {
  /** `dir` is the space's directory on the sandbox's machine; `hostname` the space name. */
  constructor(
    readonly dir: string,
    readonly hostname: string
  ) {
    mkdirSync(this.home, { recursive: true });
    chownSync(this.home, SPACE_UID, SPACE_GID);
    chmodSync(this.home, 0o755);
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    chmodSync(join(dir, 'tmp'), 0o1777);
    mkdirSync(join(dir, 'etc'), { recursive: true });
    const accounts = spaceAccounts();
    writeFileSync(this.passwd, accounts.passwd, { mode: 0o644 });
    writeFileSync(this.group, accounts.group, { mode: 0o644 });
  }

  /** The space's `/etc/passwd` and `/etc/group` as seen from the sandbox's machine. */
  get passwd(): string {
    return join(this.dir, 'etc', 'passwd');
  }

  get group(): string {
    return join(this.dir, 'etc', 'group');
  }

  /** The space's `/home/sagemaker-user` as seen from the sandbox's machine. */
  get home(): string {
    return join(this.dir, 'home', SPACE_USER);
  }

  /**
   * Runs a `/bin/sh -c` script inside the space as `sagemaker-user`, in its home, with the space's environment plus
   * `env`. The namespace is set up as root; the init and everything under it run as the user.
   */
  spawn(command: string, env: Record<string, string>): ISpaceProcess {
    const child = spawnIsolated({
      tmpfs: ['/home'],
      binds: [
        { source: this.home, target: SPACE_HOME },
        { source: this.passwd, target: '/etc/passwd' },
        { source: this.group, target: '/etc/group' },
        // last: the space's directory is usually under the machine's /tmp, which this hides
        { source: join(this.dir, 'tmp'), target: '/tmp' }
      ],
      hostname: this.hostname,
      cwd: SPACE_HOME,
      command: `exec ${AS_SPACE_USER} /usr/bin/perl -e ${shellQuote(INIT)} /bin/sh -c ${shellQuote(command)}`,
      env: { ...SPACE_ENV, ...env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe']
    });
    let report = '';
    (child.stdio[3] as Readable | null)?.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    const ended = new Promise<{ code: number | null; signal?: NodeJS.Signals }>(
      resolve =>
        child.once('close', (code, signal) => {
          const number = Number(report);
          resolve(
            report && SIGNAL_NAMES[number]
              ? { code: null, signal: SIGNAL_NAMES[number] }
              : signal
                ? { code: null, signal }
                : { code }
          );
        })
    );
    return { child, ended };
  }
}
