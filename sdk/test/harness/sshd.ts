/**
 * A throwaway OpenSSH sshd on a loopback port with its own host key and one authorized client key, for tests
 * that need a real SSH server behind the sandbox (Debian `openssh-server`; missing → the test fails).
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
import { freePort } from '../../src/sandbox/index.js';

export interface ITestSshd {
  port: number;
  /** Private key the server accepts for root. */
  identityFile: string;
  dir: string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function startTestSshd(): Promise<ITestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(
      `${SSHD} is missing: apt-get install openssh-server (scripts/apt-packages.txt)`
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
      throw new Error(`sshd did not start: ${log}`);
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
