/** A per-instance host: its own /etc/ssh, /tmp and hostname, real sshd, scripts that cannot outlive it. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceHost, processesUsing } from './host.js';

let root: string;
let host: InstanceHost;
const hostSshdConfig = readFileSync('/etc/ssh/sshd_config');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sm-ssh-host-test-'));
  host = await InstanceHost.start({
    root,
    instanceId: 'mi-0123456789abcdef0',
    hostname: 'unit-host',
    authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test']
  });
});

afterAll(async () => {
  await host?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('InstanceHost', () => {
  it('runs sshd with its own config and host keys on a loopback port', () => {
    expect(host.running).toBe(true);
    expect(host.log).toContain(
      `Server listening on 127.0.0.1 port ${host.sshPort}`
    );
    const config = readFileSync(join(host.etcSsh, 'sshd_config'), 'utf8');
    for (const line of [
      'AuthorizedKeysFile /etc/ssh/authorized_keys',
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'ClientAliveInterval 15',
      'ListenAddress 127.0.0.1',
      'UsePAM no'
    ]) {
      expect(config).toContain(line);
    }
    expect(host.hostKeys.map(key => key.type)).toEqual(['ed25519', 'ecdsa']);
    const scanned = execFileSync('ssh-keyscan', [
      '-p',
      String(host.sshPort),
      '-t',
      'ed25519',
      '127.0.0.1'
    ]).toString();
    expect(scanned).toContain(host.hostKeys[0].publicKey.split(' ')[1]);
  });

  it("runs scripts inside the instance: its /etc/ssh, /tmp and hostname, none of the machine's", async () => {
    const result = await host.run(
      [
        'hostname',
        'cat /etc/ssh/authorized_keys',
        'echo "# changed" >> /etc/ssh/sshd_config',
        'touch /tmp/inside',
        'echo "pid $$"'
      ].join('\n')
    ).result;
    expect(result).toMatchObject({
      exitCode: 0,
      timedOut: false,
      stdout:
        'unit-host\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test\npid 1\n'
    });
    expect(readFileSync(join(host.etcSsh, 'sshd_config'), 'utf8')).toMatch(
      /# changed\n$/
    );
    expect(readFileSync('/etc/ssh/sshd_config')).toEqual(hostSshdConfig);
    expect(existsSync(join(host.dir, 'tmp', 'inside'))).toBe(true);
    expect(existsSync('/tmp/inside')).toBe(false);
  });

  it('kills a script and what it started at the timeout, and keeps the first characters of output', async () => {
    const started = Date.now();
    const result = await host.run(
      'echo begin; (sleep 60 & echo child $!; wait) ; echo never',
      { timeoutMs: 500, maxStdout: 3 }
    ).result;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({
      exitCode: null,
      timedOut: true,
      stdout: 'beg'
    });
    const cancelled = host.run('sleep 60');
    setTimeout(() => cancelled.cancel(), 100);
    expect(await cancelled.result).toMatchObject({
      cancelled: true,
      exitCode: null
    });
    // the background sleep died with its script: only sshd's namespace is left
    const names = processesUsing(root).map(pid => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return 'gone';
      }
    });
    expect(names).not.toContain('sleep');
    expect(names).toContain('sshd');
  });

  it('stops sshd and removes its directory, leaving no process behind', async () => {
    const other = await InstanceHost.start({
      root,
      instanceId: 'mi-00000000000000001'
    });
    const pid = other.pid as number;
    expect(processesUsing(other.dir).length).toBeGreaterThan(0);
    await other.stop();
    expect(other.running).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
    expect(processesUsing(other.dir)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(() => other.run('true')).toThrow(/has stopped/);
  });
});
