/** `sm-ssh sandbox up --detach | status | down` as real processes, with a private state directory. */
import { GetServiceSettingCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOTO_SERVER, proxiedSshArgs, runCli } from './harness/cloud.js';

const runtime = mkdtempSync(join(tmpdir(), 'sm-ssh-sandbox-test-'));
const env = { XDG_RUNTIME_DIR: runtime, SM_SSH_MOTO_SERVER: MOTO_SERVER };

afterAll(async () => {
  await runCli(['sandbox', 'down'], env);
  rmSync(runtime, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sm-ssh sandbox', () => {
  it('up --detach --json returns once ready, and the printed env reaches both moto and the sandbox', async () => {
    const up = await runCli(['sandbox', 'up', '--detach', '--json'], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const state = JSON.parse(up.stdout) as {
      pid: number;
      env: Record<string, string>;
      motoUrl: string;
    };
    expect(alive(state.pid)).toBe(true);
    const credentials = {
      accessKeyId: state.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: state.env.AWS_SECRET_ACCESS_KEY
    };
    const ssm = new SSMClient({
      region: 'us-east-1',
      endpoint: state.env.AWS_ENDPOINT_URL_SSM,
      credentials,
      maxAttempts: 1
    });
    const { ServiceSetting } = await ssm.send(
      new GetServiceSettingCommand({
        SettingId: '/ssm/managed-instance/activation-tier'
      })
    );
    expect(ServiceSetting?.SettingValue).toBe('standard');
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: state.env.AWS_ENDPOINT_URL_STS,
      credentials,
      maxAttempts: 1
    });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(
      '123456789012'
    );
    expect(
      statSync(
        join(runtime, `sm-ssh-sandbox-${process.getuid?.() ?? 0}`, 'state.json')
      ).mode & 0o777
    ).toBe(0o600);

    const fleet = JSON.parse(up.stdout) as {
      instances: Array<{ instanceId: string; kind: string; node: number }>;
      identityFile: string;
      user: string;
    };
    expect(fleet.instances.map(instance => instance.kind).sort()).toEqual([
      'inference',
      'notebook',
      'processing',
      'studio',
      'training',
      'training',
      'training',
      'transform'
    ]);
    expect(statSync(fleet.identityFile).mode & 0o777).toBe(0o600);
    const ssh = spawnSync(
      'ssh',
      proxiedSshArgs(
        fleet.identityFile,
        `${fleet.user}@${fleet.instances[0].instanceId}`,
        'echo ok'
      ),
      {
        env: { PATH: process.env.PATH ?? '', ...state.env },
        encoding: 'utf8',
        timeout: 60_000
      }
    );
    expect(ssh.stderr).toBe('');
    expect(ssh.stdout).toBe('ok\n');
    // the demo's instances belong to the sandbox's caller, so connect by name works as it would on AWS
    const byName = await runCli(
      ['exec', 'ssh-training-demo.training.sagemaker', '--', 'echo by-name'],
      { ...state.env, SM_SSH_CONFIG_DIR: join(runtime, 'sm-ssh-config') }
    );
    expect(byName.stderr).toBe('');
    expect(byName.stdout).toBe('by-name\n');

    const again = await runCli(['sandbox', 'up', '--detach'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `a sandbox is already running (pid ${state.pid}`
    );

    const status = await runCli(['sandbox', 'status', '--json'], env);
    expect(JSON.parse(status.stdout).pid).toBe(state.pid);

    const down = await runCli(['sandbox', 'down', '--json'], env);
    expect(JSON.parse(down.stdout)).toEqual({ stopped: true, pid: state.pid });
    expect(alive(state.pid)).toBe(false);
    await expect(fetch(`${state.motoUrl}/moto-api/`)).rejects.toThrow();
    const after = await runCli(['sandbox', 'status'], env);
    expect(after.code).toBe(1);
  });

  it('refuses a bad port with exit code 2', async () => {
    const result = await runCli(['sandbox', 'up', '--port', '70000'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port "70000" is not a port number/);
  });
});
