/**
 * jupyter-server-proxy fronts `sm-ssh serve` with Jupyter's authentication, as in a Studio space: a real
 * `jupyter server` from the project's .venv, where bootstrap installed the extension (its
 * `jupyter_serverproxy_servers` entry `sm-ssh` starts the CLI bundled in the Python package on a unix socket), with
 * a token, scratch root/runtime/config dirs and a scratch HOME, pointed at the sandbox and its demo fleet.
 *
 * - without the token the bridge is out of reach (HTTP and WebSocket), and its data never shows;
 * - with it, /sm-ssh/api/targets lists the demo fleet, and the event WebSocket says hello;
 * - Jupyter skips its XSRF check for proxied apps, so the bridge's own guard refuses a POST whose X-XSRFToken
 *   does not match the _xsrf cookie (403 JSON), and lets the same POST with matching values open a tunnel;
 * - a host without Node still starts Jupyter, and /sm-ssh/ answers 503 with the reason and the fix.
 *
 * A missing .venv, extension install or CLI bundle fails these tests with the fix (never a skip).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type {
  BridgeEvent,
  IBridgeError,
  IBridgeInfo,
  IBridgeTunnel,
  ITargetsResponse,
  ITunnelsResponse
} from '../src/bridge/types.js';
import { REPO_ROOT } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';
import { sandboxEnv } from '../src/sandbox/index.js';

const VENV_BIN = `${REPO_ROOT}.venv/bin`;
const JUPYTER = `${VENV_BIN}/jupyter`;
const PYTHON = `${VENV_BIN}/python`;
const BUNDLED_CLI = `${REPO_ROOT}sagemaker_ssh_jupyterlab/sm_ssh/sm-ssh.mjs`;
const TRAINING = 'ssh-training-demo.training.sagemaker';
const BOB = 'bob-training-job.training.sagemaker';

/** Fails (with the fix) unless bootstrap installed the extension and its server-proxy entry into .venv. */
function assertInstalled(): void {
  if (!existsSync(JUPYTER)) {
    throw new Error(
      `${JUPYTER} is missing: run \`bash scripts/bootstrap.sh\` (the venv of requirements-dev.txt)`
    );
  }
  const probe = spawnSync(
    PYTHON,
    [
      '-I',
      '-c',
      [
        'import os, sagemaker_ssh_jupyterlab as p',
        'from importlib.metadata import entry_points',
        'assert [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == "sm-ssh"], "no sm-ssh entry point"',
        'import jupyter_server_proxy',
        'print(os.path.dirname(os.path.abspath(p.__file__)))'
      ].join('\n')
    ],
    { encoding: 'utf8' }
  );
  if (
    probe.status !== 0 ||
    probe.stdout.trim() !== `${REPO_ROOT}sagemaker_ssh_jupyterlab`
  ) {
    throw new Error(
      `the extension is not installed editable into .venv with its jupyter-server-proxy entry (${(probe.stderr || probe.stdout).trim().split('\n').pop()}): run \`bash scripts/bootstrap.sh\``
    );
  }
  if (!existsSync(BUNDLED_CLI)) {
    throw new Error(
      `${BUNDLED_CLI} is missing: run \`npm run build:cli-bundle\` (bootstrap does)`
    );
  }
}

interface IJupyter {
  base: string;
  token: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** A `jupyter server` from .venv with a token, on a free port, with scratch dirs; resolves once it answers. */
async function startJupyter(env: Record<string, string>): Promise<IJupyter> {
  const scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-server-proxy-test-'));
  const dirs = Object.fromEntries(
    ['root', 'runtime', 'config', 'home', 'tmp'].map(name => {
      const dir = join(scratch, name);
      mkdirSync(dir, { mode: 0o700 });
      return [name, dir];
    })
  );
  const token = randomBytes(16).toString('hex');
  const child = spawn(
    JUPYTER,
    [
      'server',
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      '--ServerApp.port=0',
      `--ServerApp.root_dir=${dirs.root}`,
      ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : [])
    ],
    {
      env: {
        PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
        HOME: dirs.home,
        JUPYTER_CONFIG_DIR: dirs.config,
        JUPYTER_RUNTIME_DIR: dirs.runtime,
        JUPYTER_TOKEN: token,
        // jupyter-server-proxy's private socket directories (which it never removes) go with the scratch dir
        TMPDIR: dirs.tmp,
        // not a Studio space: no resource metadata
        SM_SSH_RESOURCE_METADATA: join(scratch, 'no-resource-metadata.json'),
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group, so stopping it also stops what jupyter-server-proxy started
      detached: true
    }
  );
  let log = '';
  child.stdout?.on('data', chunk => (log += String(chunk)));
  child.stderr?.on('data', chunk => (log += String(chunk)));
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve())
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-(child.pid as number), 'SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    signalGroup('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  };
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // gone
    }
  };
  const deadline = Date.now() + 60_000;
  let base = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      break;
    }
    const info = readdirSync(dirs.runtime).find(file =>
      /^jpserver-\d+\.json$/.test(file)
    );
    if (info && !base) {
      try {
        const { port } = JSON.parse(
          readFileSync(join(dirs.runtime, info), 'utf8')
        ) as { port: number };
        base = `http://127.0.0.1:${port}`;
      } catch {
        // being written
      }
    }
    if (base) {
      const status = await fetch(`${base}/api/status`, {
        headers: { Authorization: `token ${token}` }
      }).then(
        response => response.status,
        () => 0
      );
      if (status === 200) {
        return { base, token, process: child, log: () => log, stop };
      }
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`jupyter server did not start:\n${log.slice(-3000)}`);
}

interface IAnswer<T> {
  status: number;
  contentType: string;
  text: string;
  json?: T;
}

async function request<T = unknown>(
  jupyter: IJupyter,
  path: string,
  init: RequestInit & { token?: string | false } = {}
): Promise<IAnswer<T>> {
  const { token = jupyter.token, headers, ...rest } = init;
  const response = await fetch(`${jupyter.base}${path}`, {
    redirect: 'manual',
    ...rest,
    headers: {
      ...(token ? { Authorization: `token ${token}` } : {}),
      ...(headers as Record<string, string>)
    }
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let json: T | undefined;
  if (contentType.includes('json')) {
    json = JSON.parse(text) as T;
  }
  return { status: response.status, contentType, text, json };
}

/** Status and (a readable start of) the body, so a failed expectation shows what came back instead. */
function answered(answer: IAnswer<unknown>): { status: number; body: string } {
  return {
    status: answer.status,
    body: answer.text
      .replace(/<(script|style)[^]*?<\/\1>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 400)
  };
}
const status = (code: number) => ({ status: code, body: expect.any(String) });

/** The first event of /sm-ssh/api/events, or the refusal's status. */
function firstEvent(
  url: string,
  headers: Record<string, string>
): Promise<{ event?: BridgeEvent; refused?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no event from ${url} in 40 s`));
    }, 40_000);
    socket.once('message', data => {
      clearTimeout(timer);
      socket.close();
      resolve({ event: JSON.parse(String(data)) as BridgeEvent });
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      response.resume();
      socket.terminate();
      resolve({ refused: response.statusCode });
    });
    socket.once('error', error => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('jupyter-server-proxy in front of sm-ssh serve', () => {
  let cloud: IDemoCloud;
  let jupyter: IJupyter;

  beforeAll(async () => {
    assertInstalled();
    cloud = await startDemoCloud();
    jupyter = await startJupyter({
      ...sandboxEnv(cloud.sandbox),
      AWS_MAX_ATTEMPTS: '1'
    });
  });

  afterAll(async () => {
    await jupyter?.stop();
    await cloud?.close();
  });

  it("refuses /sm-ssh/ without Jupyter's token (or with a wrong one), over HTTP and WebSocket, and shows no target", async () => {
    for (const token of [false, 'not-the-token'] as const) {
      const targets = await request(jupyter, '/sm-ssh/api/targets', { token });
      // Jupyter sends a browser to its login page; what matters is that the bridge's answer never comes back
      expect([302, 401, 403]).toContain(targets.status);
      if (targets.status === 302) {
        expect(
          (
            await fetch(`${jupyter.base}/sm-ssh/api/targets`, {
              redirect: 'manual',
              headers: token ? { Authorization: `token ${token}` } : {}
            })
          ).headers.get('location')
        ).toMatch(/\/login\?next=/);
      }
      expect(targets.text).not.toContain(TRAINING);
      expect(targets.text).not.toContain('"targets"');
      const posted = await request(jupyter, '/sm-ssh/api/tunnels', {
        token,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Cookie: '_xsrf=same',
          'X-XSRFToken': 'same'
        },
        body: JSON.stringify({ target: TRAINING, remotePort: 22 })
      });
      expect(answered(posted)).toEqual(status(403));
      expect(posted.text).not.toContain('"state"');
      const events = await firstEvent(
        `${jupyter.base.replace('http', 'ws')}/sm-ssh/api/events`,
        token ? { Authorization: `token ${token}` } : {}
      );
      expect(events.event).toBeUndefined();
      expect(events.refused).toBe(403);
    }
  });

  it("with the token, /sm-ssh/api/targets answers 200 with the demo fleet's targets, from the CLI bundled in the Python package", async () => {
    const targets = await request<ITargetsResponse>(
      jupyter,
      '/sm-ssh/api/targets'
    );
    expect(answered(targets)).toEqual(status(200));
    const byName = new Map(
      (targets.json?.targets ?? []).map(target => [target.target, target])
    );
    const expected = new Set(
      cloud.fleet.instances
        .filter(instance => instance.kind !== 'studio')
        .map(instance => `${instance.name}.${instance.kind}.sagemaker`)
    );
    for (const name of expected) {
      expect(byName.has(name)).toBe(true);
    }
    expect(byName.get(TRAINING)).toMatchObject({
      kind: 'training',
      status: 'InProgress',
      ping: 'Online',
      nodes: 2,
      owner: cloud.caller,
      mine: true
    });
    expect(byName.get(TRAINING)?.instances).toEqual(
      expect.arrayContaining([
        cloud.nodeOf('ssh-training-demo', 0).instanceId,
        cloud.nodeOf('ssh-training-demo', 1).instanceId
      ])
    );
    expect(byName.get(BOB)).toMatchObject({ mine: false });
    expect(
      [...byName.values()].filter(target => target.kind === 'studio')
    ).toHaveLength(1);

    // what jupyter-server-proxy started is the bundle inside sagemaker_ssh_jupyterlab, not sdk/dist
    const info = await request<IBridgeInfo>(jupyter, '/sm-ssh/api/info');
    expect(answered(info)).toEqual(status(200));
    expect(info.json?.smSshCommand[1]).toBe(BUNDLED_CLI);
    expect(info.json?.userId).toBe(cloud.caller);
    expect(info.json?.studio).toBe(false);
    expect(jupyter.log()).toMatch(
      /sm-ssh serve listening on \/\S*jupyter-server-proxy-[^/\s]+\/socket/
    );
  });

  it('lets the bridge refuse a POST whose X-XSRFToken does not match the _xsrf cookie (403 JSON), and open a tunnel when they match', async () => {
    // 20 times, bodies of growing size: the refusal must come from the bridge every time, not sometimes as
    // jupyter-server-proxy's 500 (a bridge that answers before it read the body closes the connection while the
    // proxy is still sending it: BrokenPipeError in the Jupyter log)
    for (let attempt = 0; attempt < 20; attempt++) {
      const mismatched = await request<IBridgeError>(
        jupyter,
        '/sm-ssh/api/tunnels',
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Cookie: '_xsrf=the-cookie-value',
            'X-XSRFToken': 'another-value'
          },
          body: JSON.stringify({
            target: TRAINING,
            remotePort: 22,
            padding: 'x'.repeat(attempt * 512)
          })
        }
      );
      expect({ attempt, ...answered(mismatched) }).toEqual({
        attempt,
        ...status(403)
      });
      expect(mismatched.contentType).toContain('application/json');
      expect(mismatched.json).toMatchObject({ code: 'forbidden' });
      expect(mismatched.json?.error).toMatch(/X-XSRFToken/);
    }
    const body = JSON.stringify({ target: TRAINING, remotePort: 22 });
    const none = await request<ITunnelsResponse>(
      jupyter,
      '/sm-ssh/api/tunnels'
    );
    expect(none.json?.tunnels).toEqual([]);

    // the same request with matching values goes through the proxy to the bridge, which opens the tunnel
    const xsrf = randomBytes(8).toString('hex');
    const xsrfHeaders = {
      'Content-Type': 'application/json',
      Cookie: `_xsrf=${xsrf}`,
      'X-XSRFToken': xsrf
    };
    const opened = await request<IBridgeTunnel>(
      jupyter,
      '/sm-ssh/api/tunnels',
      {
        method: 'POST',
        headers: xsrfHeaders,
        body
      }
    );
    expect(answered(opened)).toEqual(status(201));
    expect(opened.json).toMatchObject({ target: TRAINING, remotePort: 22 });
    const closed = await request(
      jupyter,
      `/sm-ssh/api/tunnels/${opened.json?.id}`,
      { method: 'DELETE', headers: xsrfHeaders }
    );
    expect(answered(closed)).toEqual(status(204));
  });

  it('carries the WebSocket /sm-ssh/api/events with the token: the bridge says hello', async () => {
    const { event, refused } = await firstEvent(
      `${jupyter.base.replace('http', 'ws')}/sm-ssh/api/events`,
      { Authorization: `token ${jupyter.token}` }
    );
    expect(refused).toBeUndefined();
    expect(event).toEqual({ type: 'hello', version: expect.any(String) });
  });
});

describe('jupyter-server-proxy on a host where sm-ssh cannot start', () => {
  let jupyter: IJupyter;

  beforeAll(async () => {
    assertInstalled();
    jupyter = await startJupyter({ SM_SSH_NODE: '/nonexistent/node' });
  });

  afterAll(async () => {
    await jupyter?.stop();
  });

  it('still starts Jupyter, logs a warning, and answers /sm-ssh/ with 503 and the fix', async () => {
    expect(jupyter.log()).toContain(
      'sm-ssh serve cannot start: SM_SSH_NODE=/nonexistent/node is not an executable file'
    );
    const targets = await request<IBridgeError>(jupyter, '/sm-ssh/api/targets');
    expect(answered(targets)).toEqual(status(503));
    expect(targets.json).toEqual({
      error:
        'sm-ssh serve cannot start: SM_SSH_NODE=/nonexistent/node is not an executable file',
      hint: expect.stringContaining('Node.js >= 20'),
      code: 'failed'
    });
    // and without the token, not even that
    const anonymous = await request(jupyter, '/sm-ssh/api/targets', {
      token: false
    });
    expect(anonymous.status).not.toBe(503);
    expect(anonymous.text).not.toContain('SM_SSH_NODE');
  });
});
