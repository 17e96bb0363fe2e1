/**
 * Studio spaces in `sm-ssh list` and `sm-ssh space enable-remote-access`, on the sandbox's demo fleet (a space with
 * remote access on, one with it off, both with a JupyterLab app InService): the SDK's listing and what it costs in
 * calls, the CLI's table and --json, the refusals (no --yes without a terminal, a target that is not a space, an
 * unknown space) before any change, and the enabling itself — the app seen going Deleted and coming back
 * InService through the sandbox, StartSession refused before and granted after, the space then listing as on and
 * Online — and a second run on a space whose app started with remote access having nothing to do.
 */
import {
  DescribeAppCommand,
  StartSessionCommand
} from '@aws-sdk/client-sagemaker';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { listTargets, type ITargetSummary } from '../src/resolve/index.js';
import { DEMO_SPACES, type ISandbox } from '../src/sandbox/index.js';
import { enableRemoteAccess } from '../src/spaces/enable.js';
import { CLI, runCli, sandboxEnv } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let sandbox: ISandbox;
let scratch: string;
let env: Record<string, string>;
let domainId: string;

const ON = DEMO_SPACES.on;
const OFF = DEMO_SPACES.off;
const nameOf = (space: string) => `${space}.${domainId}.space.sagemaker`;
const demoSpace = (space: string) => {
  const found = cloud.fleet.spaces.find(entry => entry.spaceName === space);
  if (!found) {
    throw new Error(`the demo fleet has no space ${space}`);
  }
  return found;
};
const sm = (args: string[]) => runCli(args, env);

/** The calls `work` makes, by `<Service>.<Operation>`. */
async function callsOf<T>(
  work: () => Promise<T>
): Promise<{ result: T; calls: Record<string, number> }> {
  sandbox.calls.reset();
  const result = await work();
  return { result, calls: sandbox.calls.snapshot() };
}

/**
 * Runs the CLI on a terminal (util-linux `script` gives it a pseudo-terminal) and answers `answer` to the first
 * line ending in `[y/N] `; resolves to what the terminal showed and the exit code.
 */
function onTerminal(
  args: string[],
  answer: string
): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args]
    .map(word => `'${word}'`)
    .join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', ...env }
    });
    let screen = '';
    let answered = false;
    child.stdout.on('data', chunk => {
      screen += String(chunk);
      if (!answered && screen.includes('[y/N] ')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.once('error', reject);
    child.once('close', code => resolve({ code: code ?? -1, screen }));
  });
}

beforeAll(async () => {
  cloud = await startDemoCloud({ hosts: false });
  ({ sandbox } = cloud);
  domainId = cloud.fleet.resources?.domainId ?? '';
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-space-list-'));
  env = {
    ...sandboxEnv(sandbox),
    AWS_MAX_ATTEMPTS: '1',
    HOME: scratch,
    SM_SSH_CONFIG_DIR: join(scratch, 'config')
  };
}, 120_000);

afterAll(async () => {
  await cloud?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('listing spaces', () => {
  it('lists both demo spaces: remote access on and Online, off and Offline, for two list calls', async () => {
    expect(domainId).toMatch(/^d-/);
    expect(demoSpace(ON)).toMatchObject({
      remoteAccess: 'ENABLED',
      target: nameOf(ON)
    });
    expect(demoSpace(OFF)).toMatchObject({
      remoteAccess: 'DISABLED',
      target: nameOf(OFF)
    });
    const { result, calls } = await callsOf(() =>
      listTargets(cloud.clients, { kind: 'space' })
    );
    const byName = Object.fromEntries(result.map(t => [t.target, t]));
    const common = {
      kind: 'space',
      status: 'InService',
      nodes: 1,
      owner: 'alice',
      mine: true,
      instances: [],
      via: 'remote-access',
      appType: 'JupyterLab',
      appStatus: 'InService'
    };
    expect(byName[nameOf(ON)]).toMatchObject({
      ...common,
      ping: 'Online',
      remoteAccess: 'ENABLED'
    });
    expect(byName[nameOf(OFF)]).toMatchObject({
      ...common,
      ping: 'Offline',
      remoteAccess: 'DISABLED'
    });
    // the ARN ListSpaces leaves out is built from STS's account: the space's own
    expect(byName[nameOf(ON)].resourceArn).toBe(demoSpace(ON).spaceArn);
    expect(byName[nameOf(OFF)].resourceArn).toBe(demoSpace(OFF).spaceArn);
    // one ListSpaces and one ListApps for every domain, not one per space
    expect(calls).toEqual({
      'SageMaker.ListApps': 1,
      'SageMaker.ListSpaces': 1,
      'STS.GetCallerIdentity': 1
    });
  });

  it('sm-ssh list --json has the spaces beside the other targets, with via on every line', async () => {
    const result = await sm(['list', '--json', '--no-endpoints']);
    expect(result.code).toBe(0);
    const targets = JSON.parse(result.stdout) as ITargetSummary[];
    const byName = Object.fromEntries(targets.map(t => [t.target, t]));
    expect(byName[nameOf(ON)]).toMatchObject({
      kind: 'space',
      via: 'remote-access',
      remoteAccess: 'ENABLED',
      ping: 'Online',
      appType: 'JupyterLab',
      appStatus: 'InService',
      owner: 'alice'
    });
    expect(byName[nameOf(OFF)]).toMatchObject({
      remoteAccess: 'DISABLED',
      ping: 'Offline'
    });
    expect(byName['ssh-training-demo.training.sagemaker']).toMatchObject({
      kind: 'training',
      via: 'ssm-instance',
      ping: 'Online'
    });
    expect(byName['ssh-training-demo.training.sagemaker']).not.toHaveProperty(
      'remoteAccess'
    );
  });

  it('sm-ssh list --kind space shows the spaces only, with VIA and REMOTE-ACCESS columns', async () => {
    const result = await sm(['list', '--kind', 'space']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^TARGET\s+KIND\s+STATUS\s+PING\s+NODES\s+AGE\s+OWNER\s+VIA\s+REMOTE-ACCESS$/
    );
    const row = (space: string, ping: string, access: string) =>
      new RegExp(
        `^${nameOf(space).replace(/\./g, '\\.')}\\s+space\\s+InService\\s+${ping}\\s+1\\s+\\S+\\s+alice\\s+remote-access\\s+${access}$`
      );
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(row(ON, 'Online', 'on')),
      expect.stringMatching(row(OFF, 'Offline', 'off'))
    ]);
  });
});

describe('sm-ssh space enable-remote-access', () => {
  it('without --yes and without a terminal to ask, is bad input (exit 2) that changes nothing', async () => {
    const { result, calls } = await callsOf(() =>
      sm(['space', 'enable-remote-access', nameOf(OFF)])
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^sm-ssh: error: restarting the JupyterLab app of ${nameOf(OFF).replace(/\./g, '\\.')} loses unsaved work in it, and there is no terminal to ask\\n {2}hint: pass --yes to restart it\\n$`
      )
    );
    expect(calls).toEqual({
      'SageMaker.DescribeSpace': 1,
      'SageMaker.ListApps': 1
    });
  });

  it('on a terminal asks first, and an answer other than y changes nothing', async () => {
    const { result, calls } = await callsOf(() =>
      onTerminal(['space', 'enable-remote-access', nameOf(OFF)], 'n')
    );
    expect(result.screen).toContain(
      `Restarting the JupyterLab app of ${nameOf(OFF)} loses unsaved work in it. Continue? [y/N] `
    );
    expect(result.screen).toMatch(
      /sm-ssh: error: cancelled: nothing was changed on \S+\r?\n {2}hint: save your work in the app, then run this again/
    );
    expect(result.code).toBe(1);
    expect(calls).toEqual({
      'SageMaker.DescribeSpace': 1,
      'SageMaker.ListApps': 1
    });
  });

  it('refuses a target that is not a space, before any call, and an unknown space after one look', async () => {
    for (const target of [
      'ssh-training-demo.training.sagemaker',
      `default.alice.${domainId}.studio.sagemaker`,
      'mi-0123456789abcdef0',
      'not a name'
    ]) {
      const { result, calls } = await callsOf(() =>
        sm(['space', 'enable-remote-access', target, '--yes'])
      );
      expect({ target, code: result.code, calls }).toEqual({
        target,
        code: 2,
        calls: {}
      });
      expect(result.stderr).toMatch(/^sm-ssh: error: .+\n {2}hint: .+\n$/);
    }
    const unknown = await sm([
      'space',
      'enable-remote-access',
      nameOf('no-such-space'),
      '--yes'
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /error: there is no space no-such-space in domain d-\S+ \(us-east-1\)\n {2}hint: check the name and the region/
    );
  });

  it('refuses an instance type under 8 GiB with the fix, after one look and before any change', async () => {
    const steps: string[] = [];
    const { result, calls } = await callsOf(() =>
      enableRemoteAccess(cloud.clients, nameOf(OFF), {
        instanceType: 'ml.t3.medium',
        onStep: step => steps.push(step)
      }).catch((error: unknown) => error)
    );
    expect(result).toBeInstanceOf(UsageError);
    expect(result).toMatchObject({
      message: `${nameOf(OFF)}: the instance type ml.t3.medium, which has less than the 8 GiB of memory remote access needs`,
      hint: 'pass --instance-type ml.t3.large (or larger) to recreate the app on an instance that has'
    });
    expect(steps).toEqual([]);
    expect(calls).toEqual({
      'SageMaker.DescribeSpace': 1,
      'SageMaker.ListApps': 1
    });
  });

  it('with --yes turns remote access on and restarts the app (Deleted, then a new app InService); the space then lists as on and Online', async () => {
    const sagemaker = cloud.clients.sagemaker();
    const app = {
      DomainId: domainId,
      SpaceName: OFF,
      AppType: 'JupyterLab' as const,
      AppName: 'default'
    };
    const before = await sagemaker.send(new DescribeAppCommand(app));
    expect(before.Status).toBe('InService');
    const startSession = () =>
      sagemaker.send(
        new StartSessionCommand({ ResourceIdentifier: demoSpace(OFF).spaceArn })
      );
    await expect(startSession()).rejects.toThrow(
      /Remote access is not enabled/
    );
    // watch the app through the sandbox while the CLI works
    const seen: string[] = [];
    let watching = true;
    let watchCalls = 0;
    const watcher = (async () => {
      while (watching) {
        watchCalls += 1;
        const status = await sagemaker
          .send(new DescribeAppCommand(app))
          .then(answer => answer.Status ?? 'unknown');
        if (seen.at(-1) !== status) {
          seen.push(status);
        }
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    })();
    sandbox.calls.reset();
    const result = await sm([
      'space',
      'enable-remote-access',
      nameOf(OFF),
      '--yes'
    ]);
    watching = false;
    await watcher;
    const calls = sandbox.calls.snapshot();
    // the watcher's last read may have come before the CLI's: the state the CLI left is read once more
    const last = (await sagemaker.send(new DescribeAppCommand(app))).Status;
    if (last && seen.at(-1) !== last) {
      seen.push(last);
    }
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `remote access is on: connect with  sm-ssh connect ${nameOf(OFF)}\n`
    );
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `sm-ssh space: turning remote access on (UpdateSpace ${OFF})`,
      `sm-ssh space: remote access is on for ${nameOf(OFF)}`,
      'sm-ssh space: stopping app JupyterLab/default (DeleteApp; unsaved work in it is lost)',
      'sm-ssh space: app JupyterLab/default is Deleted',
      'sm-ssh space: starting app JupyterLab/default on ml.m5.large (CreateApp)',
      'sm-ssh space: app JupyterLab/default is InService with remote access'
    ]);
    // Deleted shows for a moment only (the CLI creates the app as soon as it reads it), but the sandbox's CreateApp
    // refuses an app that is not Deleted, so the new app's Pending proves the old one went through it
    expect(seen.filter(status => status !== 'Deleted')).toEqual([
      'InService',
      'Deleting',
      'Pending',
      'InService'
    ]);
    const after = await sagemaker.send(new DescribeAppCommand(app));
    expect(after.CreationTime?.getTime()).toBeGreaterThan(
      before.CreationTime?.getTime() ?? Infinity
    );
    expect(after.ResourceSpec).toEqual(before.ResourceSpec);
    // what the CLI cost (the watcher's DescribeApp calls taken out)
    expect({
      ...calls,
      'SageMaker.DescribeApp':
        (calls['SageMaker.DescribeApp'] ?? 0) - watchCalls
    }).toMatchObject({
      'SageMaker.UpdateSpace': 1,
      'SageMaker.DeleteApp': 1,
      'SageMaker.CreateApp': 1,
      'SageMaker.ListApps': 2,
      'SageMaker.DescribeSpace': expect.any(Number),
      'SageMaker.DescribeApp': expect.any(Number)
    });
    // the new app started with remote access: StartSession opens a session once its server has booted
    let session;
    for (let attempt = 0; !session; attempt += 1) {
      session = await startSession().catch((error: Error) => {
        if (error.name !== 'InternalFailure' || attempt > 40) {
          throw error;
        }
        return new Promise<undefined>(resolve =>
          setTimeout(() => resolve(undefined), 250)
        );
      });
    }
    expect(session.StreamUrl).toMatch(/^wss:\/\/|^ws:\/\//);
    const listed = JSON.parse(
      (await sm(['list', '--kind', 'space', '--json'])).stdout
    ) as ITargetSummary[];
    expect(listed.find(t => t.target === nameOf(OFF))).toMatchObject({
      remoteAccess: 'ENABLED',
      ping: 'Online',
      appStatus: 'InService'
    });
  });

  it('has nothing to do on a space whose app started with remote access on (--json says so)', async () => {
    const { result, calls } = await callsOf(() =>
      sm(['space', 'enable-remote-access', nameOf(ON), '--json'])
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'sm-ssh space: remote access is already on and the app started with it: nothing to do (--restart restarts it anyway)\n'
    );
    expect(JSON.parse(result.stdout)).toMatchObject({
      target: nameOf(ON),
      ready: true,
      steps: [expect.stringMatching(/nothing to do/)],
      space: { remoteAccess: 'ENABLED', app: { status: 'InService' } }
    });
    expect(calls).toEqual({
      'SageMaker.DescribeSpace': 2,
      'SageMaker.ListApps': 2
    });
  });
});
