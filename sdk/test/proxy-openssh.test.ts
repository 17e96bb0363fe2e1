/**
 * Real OpenSSH through `sm-ssh proxy` (a real process) and the sandbox to a real sshd:
 * `ssh -o ProxyCommand='sm-ssh proxy %h' root@mi-…` runs a command, and 64 MiB piped through `ssh … cat`
 * comes back with the same SHA-256.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { startSandbox, type ISandbox } from '../src/sandbox/index.js';
import { proxiedSshArgs, runCli, sandboxEnv } from './harness/cloud.js';
import { startSshd, type ISshd } from '../src/sandbox/index.js';

const INSTANCE = 'mi-0123456789abcdef0';
let sandbox: ISandbox;
let sshd: ISshd;
let env: Record<string, string>;

beforeAll(async () => {
  sshd = await startSshd();
  sandbox = await startSandbox({
    pacing: false,
    resolveTarget: (instanceId, portNumber) =>
      instanceId === INSTANCE && portNumber === 22
        ? { host: '127.0.0.1', port: sshd.port }
        : undefined
  });
  env = sandboxEnv(sandbox);
});

afterAll(async () => {
  await sandbox?.close();
  await sshd?.stop();
});

function ssh(
  command: string,
  input?: Buffer
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const args = proxiedSshArgs(sshd.identityFile, `root@${INSTANCE}`, command);
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        ...env
      }
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', chunk => out.push(chunk));
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', code =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr })
    );
    child.stdin.end(input);
  });
}

describe('OpenSSH through sm-ssh proxy and the sandbox', () => {
  it('runs a command', async () => {
    const result = await ssh('echo ok; whoami');
    expect(result.stderr).toBe('');
    expect(result.stdout.toString()).toBe('ok\nroot\n');
    expect(result.code).toBe(0);
  });

  it('pipes 64 MiB through cat and back with the same SHA-256', async () => {
    const data = randomBytes(64 * 1024 * 1024);
    const result = await ssh('cat', data);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(data.length);
    expect(createHash('sha256').update(result.stdout).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex')
    );
  });

  it('refuses a malformed target or id, and an offline instance', async () => {
    const bad = await runCli(['proxy', 'my-job.trainin.sagemaker'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^sm-ssh: error: .*"trainin"/);
    const badId = await runCli(['proxy', 'mi-12'], env);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('"mi-12" is not a managed instance id');
    const offline = await runCli(['proxy', 'mi-00000000000000000'], env);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain(
      'mi-00000000000000000 is not connected to SSM'
    );
  });
});
