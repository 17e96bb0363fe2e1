/**
 * A real OpenSSH sshd on a loopback port with its own host key, config and one authorized client key: what the
 * sandbox puts behind a managed instance, and what the tests and benchmarks connect to.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationError, UsageError } from '../errors.js';
import { freePort } from './moto.js';

export interface ISshd {
  port: number;
  /** Private key the server accepts for root. */
  identityFile: string;
  dir: string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/** Starts sshd (Debian `openssh-server`) as root-login-by-key only, on 127.0.0.1 and a free port. */
export async function startSshd(): Promise<ISshd> {
  if (!existsSync(SSHD)) {
    throw new UsageError(
      `${SSHD} is missing`,
      'apt-get install openssh-server (scripts/apt-packages.txt)'
    );
  }
  // sshd's privilege-separation directory; the Debian service creates it at boot, which a fresh CI machine skips.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'sm-ssh-sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const identityFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-f',
    identityFile
  ]);
  execFileSync('cp', [`${identityFile}.pub`, join(dir, 'authorized_keys')]);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'ClientAliveInterval 15',
      ''
    ].join('\n')
  );
  let log = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe']
  });
  child.stderr?.on('data', chunk => (log += String(chunk)));
  const deadline = Date.now() + 10_000;
  while (!/Server listening/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new OperationError(
        `sshd did not start: ${log.trim().split('\n').pop() ?? ''}`
      );
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  return {
    port,
    identityFile,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
