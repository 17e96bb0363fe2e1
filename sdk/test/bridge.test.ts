/**
 * `sm-ssh serve`'s bridge API against the sandbox's demo fleet (real sshd hosts), spoken to as the panel does: real
 * HTTP over the unix socket jupyter-server-proxy would use (and once over a loopback port), a real WebSocket for the
 * events. Readiness, info, targets, the XSRF and Origin guards, errors as JSON, a tunnel to a TCP server on this
 * host (bytes counted, events, closed), the setup check on roles in moto, Studio spaces (listed with their remote
 * access; enabling it on the demo space that has it off, the app restarted by the sandbox, progress and the new
 * state as events), jobs launched with SSH (the release route's guard and bad bodies, a job that does not exist, a
 * release run on every node of a job through Run Command; a real job on the sandbox shown waiting, released, running,
 * then kept as finished with SageMaker's status once its target has left the listing), and the CLI as a process.
 */
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { StopProcessingJobCommand } from '@aws-sdk/client-sagemaker';
import { TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  get as httpGet,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server as HttpServer
} from 'node:http';
import {
  connect as tcpConnect,
  createServer as createTcpServer,
  type AddressInfo
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  startBridge,
  type BridgeEvent,
  type IBridge,
  type IBridgeError,
  type IBridgeInfo,
  type IBridgeReleaseReport,
  type IBridgeTunnel,
  type ISpaceOperation,
  type ISetupCheckResponse,
  type ITargetsResponse,
  type ITunnelsResponse
} from '../src/bridge/index.js';
import { startJobWithSsh } from '../src/jobs/launch.js';
import { CLI, sandboxEnv } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';
import { DEMO_ROLE } from '../src/sandbox/index.js';

const TRAINING = 'ssh-training-demo.training.sagemaker';
const BOB = 'bob-training-job.training.sagemaker';
const XSRF = '2|6a7e1c3d|0f9b2a4c5d6e7f8091a2b3c4d5e6f708|1767225600';
const SAME_HOST = { Host: 'jupyter.example:8888' };

let cloud: IDemoCloud;
let scratch: string;
let bridge: IBridge;
let socketPath: string;
let configDir: string;
let echo: HttpServer;
let echoPort: number;

interface IReply<T> {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: T;
}

interface IRequestOptions {
  body?: string | object;
  headers?: Record<string, string>;
  /** Defaults to the unix socket of the main bridge. */
  to?: { socketPath: string } | { port: number };
}

/** An HTTP request to a bridge; `xsrf` adds a matching header and cookie. */
function call<T = unknown>(
  method: string,
  path: string,
  options: IRequestOptions & { xsrf?: boolean } = {}
): Promise<IReply<T>> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(options.xsrf ? { 'x-xsrftoken': XSRF, cookie: `_xsrf=${XSRF}` } : {}),
    ...options.headers
  };
  const to = options.to ?? { socketPath };
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { ...to, host: '127.0.0.1', method, path, headers },
      response => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', chunk => (text += chunk));
        response.once('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            json: json as T
          });
        });
      }
    );
    request.once('error', reject);
    request.end(body);
  });
}

const post = <T = unknown>(path: string, body: object | string) =>
  call<T>('POST', path, { body, xsrf: true });

/** A WebSocket on /api/events that collects every event; `next` waits for one that matches. */
interface IEvents {
  socket: WebSocket;
  events: BridgeEvent[];
  next<E extends BridgeEvent>(
    match: (event: BridgeEvent) => event is E,
    timeoutMs?: number
  ): Promise<E>;
  close(): void;
}

function openEvents(
  headers: Record<string, string> = {},
  url = `ws+unix://${socketPath}:/api/events`
): Promise<IEvents> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const events: BridgeEvent[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', data => {
      events.push(JSON.parse(String(data)) as BridgeEvent);
      waiters.forEach(wake => wake());
    });
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += String(chunk)));
      response.once('end', () =>
        reject(
          Object.assign(new Error(`refused: ${response.statusCode}`), {
            status: response.statusCode,
            body: text
          })
        )
      );
    });
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        socket,
        events,
        next: (match, timeoutMs = 15_000) =>
          new Promise((found, fail) => {
            let seen = 0;
            const look = () => {
              for (; seen < events.length; seen++) {
                const event = events[seen];
                if (match(event)) {
                  waiters.delete(look);
                  clearTimeout(timer);
                  found(event);
                  return;
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(look);
              fail(
                new Error(
                  `no matching event in ${timeoutMs} ms; got ${events.map(e => e.type).join(', ')}`
                )
              );
            }, timeoutMs);
            waiters.add(look);
            look();
          }),
        close: () => socket.close()
      })
    );
  });
}

const isType =
  <K extends BridgeEvent['type']>(
    type: K,
    also?: (event: Extract<BridgeEvent, { type: K }>) => boolean
  ) =>
  (event: BridgeEvent): event is Extract<BridgeEvent, { type: K }> =>
    event.type === type &&
    (also === undefined || also(event as Extract<BridgeEvent, { type: K }>));

function fetchText(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent: false }, response => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', chunk => (text += chunk));
      response.once('end', () => resolve(text));
    }).once('error', reject);
  });
}

function connectFails(port: number): Promise<string> {
  return new Promise(resolve => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code ?? 'error')
    );
  });
}

async function createRole(name: string, service: boolean): Promise<string> {
  const trust = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: service
          ? { Service: 'sagemaker.amazonaws.com' }
          : { AWS: 'arn:aws:iam::123456789012:root' },
        Action: 'sts:AssumeRole'
      }
    ]
  };
  const { Role } = await cloud.clients.iam().send(
    new CreateRoleCommand({
      RoleName: name,
      Path: service ? '/service-role/' : '/',
      AssumeRolePolicyDocument: JSON.stringify(trust)
    })
  );
  return Role?.Arn as string;
}

beforeAll(async () => {
  cloud = await startDemoCloud({ pacing: false });
  // the bridge finds the sandbox as it finds AWS: credentials and endpoints from the environment (restored by close)
  Object.assign(process.env, sandboxEnv(cloud.sandbox));
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-bridge-'));
  socketPath = join(scratch, 'bridge.sock');
  configDir = join(scratch, 'config');
  // a stale socket file (its server was killed) is replaced
  spawnSync(process.execPath, [
    '-e',
    "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
    socketPath
  ]);
  expect(statSync(socketPath).isSocket()).toBe(true);
  bridge = await startBridge({
    socketPath,
    region: 'us-east-1',
    configDir,
    refreshSeconds: 2,
    resourceMetadata: join(scratch, 'no-such-metadata.json'),
    env: {}
  });
  echo = createHttpServer((request, response) => {
    let received = 0;
    request.on('data', (chunk: Buffer) => (received += chunk.length));
    request.once('end', () =>
      response.end(`echo ${request.method} ${request.url} ${received}`)
    );
  });
  await new Promise<void>(resolve => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  echo?.close();
  await cloud?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the bridge on a unix socket', () => {
  it('answers the readiness probe and listens on a 0600 socket', async () => {
    expect(bridge.socketPath).toBe(socketPath);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const ready = await call('GET', '/');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ ok: true });
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
  });

  it('reports info: version, region, the caller, commands, default users and files', async () => {
    const { status, json } = await call<IBridgeInfo>('GET', '/api/info');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      region: 'us-east-1',
      userId: cloud.caller,
      caller: expect.stringMatching(/^arn:aws:/),
      studio: false,
      identityFile: join(configDir, 'id_ed25519'),
      knownHostsFile: join(configDir, 'known_hosts')
    });
    expect(json.smSshCommand[0]).toBe(process.execPath);
    expect(json.smSshCommand[1]).toMatch(/cli\/main\.js$/);
    expect(json.smSshShellCommand).toBe(json.smSshCommand.join(' '));
    expect(json.defaultUsers).toMatchObject({
      training: 'root',
      studio: 'root',
      space: 'sagemaker-user'
    });
  });

  it('accepts the path with the proxy prefix still on', async () => {
    const { status, json } = await call<IBridgeInfo>(
      'GET',
      '/user/alice/sm-ssh/api/info?region=us-east-1',
      { headers: { 'X-Forwarded-Prefix': '/user/alice/sm-ssh' } }
    );
    expect(status).toBe(200);
    expect(json.region).toBe('us-east-1');
  });

  it('lists the demo fleet, caches it, and filters mine', async () => {
    const first = await call<ITargetsResponse>('GET', '/api/targets');
    expect(first.status).toBe(200);
    const byName = Object.fromEntries(
      first.json.targets.map(target => [target.target, target])
    );
    expect(byName[TRAINING]).toMatchObject({
      kind: 'training',
      status: 'InProgress',
      ping: 'Online',
      nodes: 2,
      owner: cloud.caller,
      mine: true
    });
    expect(byName[TRAINING].instances).toHaveLength(2);
    expect(byName[BOB]).toMatchObject({ mine: false });
    expect(Array.isArray(first.json.warnings)).toBe(true);
    const cached = await call<ITargetsResponse>('GET', '/api/targets');
    expect(cached.json.listedAt).toBe(first.json.listedAt);
    const fresh = await call<ITargetsResponse>('GET', '/api/targets?refresh=1');
    expect(fresh.json.listedAt).toBeGreaterThan(first.json.listedAt);
    const mine = await call<ITargetsResponse>('GET', '/api/targets?mine=1');
    const names = mine.json.targets.map(target => target.target);
    expect(names).toContain(TRAINING);
    expect(names).not.toContain(BOB);
  });

  it('answers unknown routes, wrong methods and bad query parameters with JSON errors', async () => {
    const unknown = await call<IBridgeError>('GET', '/api/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'not-found' });
    expect(unknown.json.error).toContain('/api/nope');
    const method = await call<IBridgeError>('PATCH', '/api/info', {
      xsrf: true
    });
    expect(method.status).toBe(405);
    expect(method.json.error).toMatch(/PATCH/);
    const region = await call<IBridgeError>(
      'GET',
      '/api/targets?region=mars-1'
    );
    expect(region.status).toBe(400);
    expect(region.json.error).toMatch(/region "mars-1"/);
    const profile = await call<IBridgeError>(
      'GET',
      '/api/info?profile=..%2F..%2Fetc'
    );
    expect(profile.status).toBe(400);
    expect(profile.json.error).toMatch(/profile/);
    const plain = await call<IBridgeError>('GET', '/api/events');
    expect(plain.status).toBe(400);
    for (const reply of [unknown, method, region, profile, plain]) {
      expect(reply.text).not.toMatch(/\n\s+at /);
    }
  });
});

describe('XSRF and Origin guards', () => {
  it('refuses a state-changing request without a matching X-XSRFToken', async () => {
    const none = await call<IBridgeError>('POST', '/api/tunnels', {
      body: { target: TRAINING, remotePort: echoPort }
    });
    expect(none.status).toBe(403);
    expect(none.json).toMatchObject({
      code: 'forbidden',
      hint: expect.stringMatching(/^reload JupyterLab/)
    });
    const cookieOnly = await call<IBridgeError>('POST', '/api/tunnels', {
      body: { target: TRAINING, remotePort: echoPort },
      headers: { cookie: `_xsrf=${XSRF}` }
    });
    expect(cookieOnly.status).toBe(403);
    const mismatch = await call<IBridgeError>('POST', '/api/tunnels', {
      body: { target: TRAINING, remotePort: echoPort },
      headers: { 'x-xsrftoken': `${XSRF}x`, cookie: `_xsrf=${XSRF}` }
    });
    expect(mismatch.status).toBe(403);
    expect(mismatch.json.code).toBe('forbidden');
    const sameLength = await call<IBridgeError>('DELETE', '/api/tunnels/x', {
      headers: { 'x-xsrftoken': 'abcd', cookie: 'other=1; _xsrf=abce' }
    });
    expect(sameLength.status).toBe(403);
    // a matching pair passes the guard: what follows is the route's own answer
    const matching = await call<IBridgeError>('DELETE', '/api/tunnels/x', {
      headers: { 'x-xsrftoken': 'abcd', cookie: 'other=1; _xsrf=abcd' }
    });
    expect(matching.status).toBe(404);
    expect(matching.json.code).toBe('not-found');
  });

  it('refuses a WebSocket from another site, accepts one from the same host and sends hello then targets', async () => {
    const refused = await openEvents({
      ...SAME_HOST,
      Origin: 'https://evil.example'
    }).catch((error: { status?: number; body?: string }) => error);
    expect((refused as { status?: number }).status).toBe(403);
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({
      code: 'forbidden'
    });
    const forwarded = await openEvents({
      Host: 'localhost',
      'X-Forwarded-Host': 'jupyter.example:8888',
      Origin: 'http://jupyter.example:8888'
    });
    forwarded.close();
    const events = await openEvents({
      ...SAME_HOST,
      Origin: 'https://jupyter.example:8888'
    });
    try {
      const targets = await events.next(isType('targets'));
      expect(events.events[0]).toMatchObject({
        type: 'hello',
        version: expect.any(String)
      });
      expect(targets.targets.map(target => target.target)).toContain(TRAINING);
      expect(Array.isArray(targets.warnings)).toBe(true);
    } finally {
      events.close();
    }
  });
  it('pings its WebSocket clients and drops one that does not answer', async () => {
    const path = join(scratch, 'ping.sock');
    const pinging = await startBridge({
      socketPath: path,
      region: 'us-east-1',
      configDir,
      pingIntervalMs: 200,
      resourceMetadata: join(scratch, 'no-such-metadata.json'),
      env: {}
    });
    try {
      const url = `ws+unix://${path}:/api/events`;
      const answering = new WebSocket(url);
      const silent = new WebSocket(url, { autoPong: false });
      let pings = 0;
      silent.on('ping', () => (pings += 1));
      const closed = await new Promise<number>(resolve =>
        silent.once('close', code => resolve(code))
      );
      expect(closed).toBe(1006);
      expect(pings).toBeGreaterThanOrEqual(1);
      expect(answering.readyState).toBe(WebSocket.OPEN);
      answering.close();
    } finally {
      await pinging.close();
    }
  });
});

describe('tunnels', () => {
  it('forwards a local port to a TCP server through the target, counts bytes, and closes', async () => {
    const events = await openEvents(SAME_HOST);
    try {
      const started = await post<IBridgeTunnel>('/api/tunnels', {
        target: TRAINING,
        remotePort: echoPort
      });
      expect(started.status).toBe(201);
      const tunnel = started.json;
      expect(tunnel).toMatchObject({
        target: TRAINING,
        node: 1,
        state: 'up',
        localHost: '127.0.0.1',
        remoteHost: 'localhost',
        remotePort: echoPort,
        instanceId: cloud.nodeOf('ssh-training-demo').instanceId
      });
      expect(tunnel.localPort).toBeGreaterThan(0);
      expect(await fetchText(tunnel.localPort, '/through-the-tunnel')).toBe(
        'echo GET /through-the-tunnel 0'
      );
      const listed = await call<ITunnelsResponse>('GET', '/api/tunnels');
      const counted = listed.json.tunnels.find(t => t.id === tunnel.id);
      expect(counted?.bytesOut).toBeGreaterThan(0);
      expect(counted?.bytesIn).toBeGreaterThan(0);
      expect(counted?.totalConnections).toBe(1);
      const counting = await events.next(
        isType(
          'tunnel',
          event =>
            event.tunnel.id === tunnel.id &&
            event.tunnel.bytesIn > 0 &&
            event.tunnel.bytesOut > 0
        )
      );
      expect(counting.tunnel.state).toBe('up');
      const deleted = await call('DELETE', `/api/tunnels/${tunnel.id}`, {
        xsrf: true
      });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect(await connectFails(tunnel.localPort)).toBe('ECONNREFUSED');
      await events.next(
        isType('tunnel-closed', event => event.id === tunnel.id)
      );
      const after = await call<ITunnelsResponse>('GET', '/api/tunnels');
      expect(after.json.tunnels.map(t => t.id)).not.toContain(tunnel.id);
      const again = await call<IBridgeError>(
        'DELETE',
        `/api/tunnels/${tunnel.id}`,
        { xsrf: true }
      );
      expect(again.status).toBe(404);
    } finally {
      events.close();
    }
  });

  it('shares one SSH connection per target and node, and fails its tunnels when it drops', async () => {
    const events = await openEvents(SAME_HOST);
    try {
      const one = await post<IBridgeTunnel>('/api/tunnels', {
        target: TRAINING,
        remotePort: echoPort
      });
      const two = await post<IBridgeTunnel>('/api/tunnels', {
        target: TRAINING,
        remotePort: echoPort,
        localPort: 0,
        remoteHost: '127.0.0.1'
      });
      const node2 = await post<IBridgeTunnel>('/api/tunnels', {
        target: TRAINING,
        node: 2,
        remotePort: echoPort
      });
      expect([one.status, two.status, node2.status]).toEqual([201, 201, 201]);
      expect(two.json.sessionId).toBe(one.json.sessionId);
      expect(node2.json.sessionId).not.toBe(one.json.sessionId);
      expect(node2.json.instanceId).toBe(
        cloud.nodeOf('ssh-training-demo', 1).instanceId
      );
      expect(await fetchText(node2.json.localPort)).toBe('echo GET / 0');
      // closing one tunnel leaves the shared connection to the other
      await call('DELETE', `/api/tunnels/${one.json.id}`, { xsrf: true });
      expect(await fetchText(two.json.localPort, '/still')).toBe(
        'echo GET /still 0'
      );
      await cloud.clients
        .ssm()
        .send(new TerminateSessionCommand({ SessionId: two.json.sessionId }));
      const failed = await events.next(
        isType(
          'tunnel',
          event =>
            event.tunnel.id === two.json.id && event.tunnel.state === 'failed'
        )
      );
      expect(failed.tunnel.error).toMatch(/SSH connection .* closed/);
      expect(await connectFails(two.json.localPort)).toBe('ECONNREFUSED');
      const listed = await call<ITunnelsResponse>('GET', '/api/tunnels');
      expect(listed.json.tunnels.find(t => t.id === two.json.id)?.state).toBe(
        'failed'
      );
      expect(listed.json.tunnels.find(t => t.id === node2.json.id)?.state).toBe(
        'up'
      );
      for (const id of [two.json.id, node2.json.id]) {
        expect(
          (await call('DELETE', `/api/tunnels/${id}`, { xsrf: true })).status
        ).toBe(204);
      }
    } finally {
      events.close();
    }
  });

  it('answers a taken local port with 409', async () => {
    const taken = createTcpServer();
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const reply = await post<IBridgeError>('/api/tunnels', {
        target: TRAINING,
        localPort: port,
        remotePort: echoPort
      });
      expect(reply.status).toBe(409);
      expect(reply.json).toMatchObject({
        code: 'conflict',
        error: `local port ${port} is taken`,
        hint: expect.any(String)
      });
    } finally {
      taken.close();
    }
  });

  it('refuses bad requests with 400 and a hint, and an unknown target with 404', async () => {
    const notJson = await post<IBridgeError>('/api/tunnels', '{"target": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({
      code: 'bad-request',
      error: 'the request body is not JSON'
    });
    const big = await post<IBridgeError>(
      '/api/tunnels',
      JSON.stringify({ target: TRAINING, pad: 'x'.repeat(70 * 1024) })
    );
    expect(big.status).toBe(413);
    const cases: Array<[object, RegExp]> = [
      [{ target: TRAINING, remotePort: 70000 }, /remotePort 70000/],
      [{ target: TRAINING, remotePort: '22' }, /remotePort "22"/],
      [{ target: TRAINING }, /remotePort/],
      [{ target: TRAINING, remotePort: 22, localPort: -1 }, /localPort -1/],
      [{ target: TRAINING, remotePort: 22, node: 0 }, /node 0/],
      [{ target: TRAINING, remotePort: 22, remoteHost: 'a b;c' }, /remoteHost/],
      [{ target: 'not a name', remotePort: 22 }, /not a name|target/],
      [{ remotePort: 22 }, /target is missing/],
      [[1, 2], /not a JSON object/]
    ];
    for (const [body, message] of cases) {
      const reply = await post<IBridgeError>('/api/tunnels', body);
      expect([reply.status, reply.json.code]).toEqual([400, 'bad-request']);
      expect(reply.json.error).toMatch(message);
      expect(reply.json.hint).toEqual(expect.any(String));
    }
    const node3 = await post<IBridgeError>('/api/tunnels', {
      target: TRAINING,
      node: 3,
      remotePort: echoPort
    });
    expect(node3.status).toBe(400);
    expect(node3.json.error).toMatch(/no node 3/);
    const unknown = await post<IBridgeError>('/api/tunnels', {
      target: 'no-such-job.training.sagemaker',
      remotePort: echoPort
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({
      code: 'not-found',
      hint: expect.any(String)
    });
    const listed = await call<ITunnelsResponse>('GET', '/api/tunnels');
    expect(listed.json.tunnels).toEqual([]);
  });
});

describe('the setup check', () => {
  it("answers 400 with the SDK's hint when the caller is not an assumed role and no roles are given", async () => {
    const reply = await call<IBridgeError>('GET', '/api/setup/check');
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(/is not an assumed role/);
    expect(reply.json.hint).toMatch(/--user-role/);
  });

  it('checks the roles it was given and reports what is missing, with the commands', async () => {
    const sagemakerRole = await createRole(
      'AmazonSageMaker-ExecutionRole-Bridge',
      true
    );
    const userRole = await createRole('DataScientist-Bridge', false);
    const byPort = await startBridge({
      port: 0,
      region: 'us-east-1',
      configDir,
      resourceMetadata: join(scratch, 'no-such-metadata.json'),
      env: { SM_SSH_SAGEMAKER_ROLE: sagemakerRole, SM_SSH_USER_ROLE: userRole }
    });
    try {
      expect(byPort.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const to = { port: byPort.port as number };
      expect((await call('GET', '/', { to })).json).toEqual({ ok: true });
      const { status, json } = await call<ISetupCheckResponse>(
        'GET',
        '/api/setup/check',
        { to }
      );
      expect(status).toBe(200);
      expect(json.report).toMatchObject({
        ok: false,
        account: '123456789012',
        sagemakerRole,
        userRole,
        regions: ['us-east-1']
      });
      const missing = json.report.items.filter(
        item => item.status === 'MISSING'
      );
      expect(missing.length).toBeGreaterThan(0);
      expect(missing.map(item => item.subject)).toEqual(
        expect.arrayContaining([sagemakerRole, userRole])
      );
      expect(missing.some(item => item.fix?.policyName)).toBe(true);
      expect(json.report.summary.missing).toBe(missing.length);
      expect(json.applyCommand).toBe(
        `sm-ssh setup apply --sagemaker-role ${sagemakerRole} --user-role ${userRole} --region us-east-1`
      );
      expect(json.checkCommand).toBe(
        `sm-ssh setup check --sagemaker-role ${sagemakerRole} --user-role ${userRole} --region us-east-1`
      );
    } finally {
      await byPort.close();
    }
  });

  it('in Studio checks the execution role as both roles and says studio in info', async () => {
    const execution = await createRole(
      'AmazonSageMaker-ExecutionRole-Studio',
      true
    );
    const metadata = join(scratch, 'resource-metadata.json');
    writeFileSync(
      metadata,
      JSON.stringify({
        AppType: 'JupyterLab',
        DomainId: 'd-bridgetest',
        SpaceName: 'my-space',
        ExecutionRoleArn: execution,
        ResourceArn:
          'arn:aws:sagemaker:us-east-1:123456789012:app/d-bridgetest/my-space/jupyterlab/default'
      })
    );
    const studio = await startBridge({
      socketPath: join(scratch, 'studio.sock'),
      configDir,
      resourceMetadata: metadata,
      env: {}
    });
    try {
      const to = { socketPath: join(scratch, 'studio.sock') };
      const info = await call<IBridgeInfo>('GET', '/api/info', { to });
      expect(info.json).toMatchObject({ studio: true, region: 'us-east-1' });
      const { status, json } = await call<ISetupCheckResponse>(
        'GET',
        '/api/setup/check',
        { to }
      );
      expect(status).toBe(200);
      expect(json.report.sagemakerRole).toBe(execution);
      expect(json.report.userRole).toBe(execution);
      expect(json.report.items.some(item => item.status === 'MISSING')).toBe(
        true
      );
      expect(json.applyCommand).toBe(
        `sm-ssh setup apply --studio --sagemaker-role ${execution} --region us-east-1`
      );
      // its own space's restart would stop it halfway (after DeleteApp): refused before any call
      const own = await call<IBridgeError>(
        'POST',
        '/api/spaces/remote-access',
        {
          to,
          xsrf: true,
          body: {
            target: 'my-space.d-bridgetest.space.sagemaker',
            confirmRestart: true
          }
        }
      );
      expect(own.status).toBe(400);
      expect(own.json.error).toMatch(/is the space this JupyterLab runs in/);
    } finally {
      await studio.close();
    }
  });
});

describe('target events', () => {
  it('sends a target-status event when a target changes state', async () => {
    const listing = await call<ITargetsResponse>('GET', '/api/targets');
    const processing = listing.json.targets.find(
      target => target.kind === 'processing' && target.mine
    );
    expect(processing).toBeDefined();
    const events = await openEvents(SAME_HOST);
    try {
      await events.next(isType('targets'));
      const name = (processing?.target ?? '').replace(
        /\.processing\.sagemaker$/,
        ''
      );
      await cloud.clients
        .sagemaker()
        .send(new StopProcessingJobCommand({ ProcessingJobName: name }));
      const change = await events.next(
        isType('target-status', event => event.target === processing?.target),
        20_000
      );
      expect(change.previousStatus).toBe('InProgress');
      expect(change.status).not.toBe('InProgress');
    } finally {
      events.close();
    }
  });
});

describe('Studio spaces', () => {
  const spaceNamed = (name: string) => {
    const found = cloud.fleet.spaces.find(space => space.spaceName === name);
    if (!found) {
      throw new Error(`the demo fleet has no space ${name}`);
    }
    return found.target;
  };

  it('lists the demo spaces with their remote access, app and how connect reaches them', async () => {
    const { json } = await call<ITargetsResponse>(
      'GET',
      '/api/targets?refresh=1'
    );
    const byName = Object.fromEntries(
      json.targets.map(target => [target.target, target])
    );
    expect(byName[spaceNamed('ssh-space-demo')]).toMatchObject({
      kind: 'space',
      via: 'remote-access',
      remoteAccess: 'ENABLED',
      appType: 'JupyterLab',
      appStatus: 'InService',
      status: 'InService',
      ping: 'Online',
      owner: 'alice',
      instances: []
    });
    expect(byName[spaceNamed('ssh-space-off-demo')]).toMatchObject({
      via: 'remote-access',
      remoteAccess: 'DISABLED',
      ping: 'Offline'
    });
    expect(byName[TRAINING].via).toBe('ssm-instance');
  });

  it('refuses to enable remote access without XSRF, without confirmRestart, or on what is not a space', async () => {
    const off = spaceNamed('ssh-space-off-demo');
    const noXsrf = await call<IBridgeError>(
      'POST',
      '/api/spaces/remote-access',
      { body: { target: off, confirmRestart: true } }
    );
    expect([noXsrf.status, noXsrf.json.code]).toEqual([403, 'forbidden']);
    const unconfirmed = await post<IBridgeError>('/api/spaces/remote-access', {
      target: off
    });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.json).toMatchObject({
      code: 'bad-request',
      error: `confirmRestart is not true: enabling remote access restarts the app of ${off}, and unsaved work in it is lost`,
      hint: expect.any(String)
    });
    const job = await post<IBridgeError>('/api/spaces/remote-access', {
      target: TRAINING,
      confirmRestart: true
    });
    expect(job.status).toBe(400);
    expect(job.json.error).toMatch(/is not a Studio space/);
    const none = await call<IBridgeError>(
      'GET',
      `/api/spaces/remote-access/${off}`
    );
    expect([none.status, none.json.code]).toEqual([404, 'not-found']);
    for (const reply of [unconfirmed, job, none]) {
      expect(reply.text).not.toMatch(/\n\s+at /);
    }
    const listed = await call<ITargetsResponse>('GET', '/api/targets');
    expect(
      listed.json.targets.find(target => target.target === off)?.remoteAccess
    ).toBe('DISABLED');
  });

  it('enables remote access on the space that has it off: 202, 409 while it runs, steps, the new state, done', async () => {
    const off = spaceNamed('ssh-space-off-demo');
    const events = await openEvents(SAME_HOST);
    try {
      await events.next(isType('targets'));
      const started = await post<ISpaceOperation>('/api/spaces/remote-access', {
        target: off,
        confirmRestart: true
      });
      expect(started.status).toBe(202);
      expect(started.json).toMatchObject({ target: off, state: 'running' });
      const again = await post<IBridgeError>('/api/spaces/remote-access', {
        target: off,
        confirmRestart: true
      });
      expect([again.status, again.json.code]).toEqual([409, 'conflict']);
      const running = await call<ISpaceOperation>(
        'GET',
        `/api/spaces/remote-access/${off}`
      );
      expect(running.json).toMatchObject({
        state: 'running',
        startedAt: started.json.startedAt
      });
      const done = await events.next(
        isType(
          'space-operation',
          event =>
            event.operation.target === off &&
            event.operation.state !== 'running'
        ),
        60_000
      );
      expect(done.operation).toMatchObject({ state: 'done', target: off });
      expect(done.operation.error).toBeUndefined();
      const steps = events.events
        .filter(
          (event): event is Extract<BridgeEvent, { type: 'space-operation' }> =>
            event.type === 'space-operation'
        )
        .map(event => event.operation.step);
      expect(new Set(steps).size).toBeGreaterThan(1);
      // the space's new record went out before the end was reported
      const updated = events.events.findIndex(
        event =>
          event.type === 'target-updated' &&
          event.target.target === off &&
          event.target.remoteAccess === 'ENABLED'
      );
      expect(updated).toBeGreaterThan(-1);
      expect(updated).toBeLessThan(events.events.indexOf(done));
      const after = await call<ISpaceOperation>(
        'GET',
        `/api/spaces/remote-access/${off}`
      );
      expect(after.json).toMatchObject({ state: 'done' });
      expect(after.json.finishedAt).toBeGreaterThanOrEqual(
        after.json.startedAt
      );
      const listed = await call<ITargetsResponse>('GET', '/api/targets');
      expect(
        listed.json.targets.find(target => target.target === off)
      ).toMatchObject({ remoteAccess: 'ENABLED', appStatus: 'InService' });
    } finally {
      events.close();
    }
  }, 90_000);

  it('ends failed, with the error and its hint, for a space that does not exist', async () => {
    const ghost = 'no-such-space.d-nosuchdomain.space.sagemaker';
    const started = await post<ISpaceOperation>('/api/spaces/remote-access', {
      target: ghost,
      confirmRestart: true
    });
    expect(started.status).toBe(202);
    let operation = started.json;
    for (let i = 0; i < 100 && operation.state === 'running'; i++) {
      await new Promise(resolve => setTimeout(resolve, 100));
      operation = (
        await call<ISpaceOperation>('GET', `/api/spaces/remote-access/${ghost}`)
      ).json;
    }
    expect(operation.state).toBe('failed');
    expect(operation.error).toMatch(/no-such-space/);
    expect(operation.error).not.toMatch(/\n/);
    expect(operation.hint).toEqual(expect.any(String));
  });
});

describe('releasing a job launched with SSH', () => {
  it('refuses a release without XSRF, a body that is not JSON or names no job, each with JSON and a hint', async () => {
    const noXsrf = await call<IBridgeError>('POST', '/api/jobs/release', {
      body: { target: TRAINING }
    });
    expect([noXsrf.status, noXsrf.json.code]).toEqual([403, 'forbidden']);
    expect(noXsrf.json.error).toBe('POST needs an X-XSRFToken header');
    const notJson = await post<IBridgeError>('/api/jobs/release', '{"target":');
    expect([notJson.status, notJson.json]).toEqual([
      400,
      {
        error: 'the request body is not JSON',
        hint: 'send a JSON object with Content-Type: application/json',
        code: 'bad-request'
      }
    ]);
    const space = await post<IBridgeError>('/api/jobs/release', {
      target: 'my-space.d-abc123.space.sagemaker'
    });
    expect(space.status).toBe(400);
    expect(space.json.error).toBe(
      'my-space.d-abc123.space.sagemaker is not a training or processing job: only jobs launched with SSH wait to be released'
    );
    const node = await post<IBridgeError>('/api/jobs/release', {
      target: TRAINING,
      node: -1
    });
    expect(node.status).toBe(400);
    expect(node.json.hint).toMatch(/numbered from 1/);
    const wrongMethod = await call<IBridgeError>('GET', '/api/jobs/release');
    expect(wrongMethod.status).toBe(405);
    for (const reply of [noXsrf, notJson, space, node, wrongMethod]) {
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.text).not.toMatch(/\n\s+at /);
    }
  });

  it('answers 404 for a job that does not exist', async () => {
    const reply = await post<IBridgeError>('/api/jobs/release', {
      target: 'no-such-job.training.sagemaker'
    });
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({
      code: 'not-found',
      error: expect.stringMatching(/no-such-job/),
      hint: expect.any(String)
    });
  });

  it("runs the release on every node through Run Command: the demo job, launched without SSH's wait, is not waiting", async () => {
    const reply = await post<IBridgeReleaseReport>('/api/jobs/release', {
      target: TRAINING
    });
    expect(reply.status).toBe(200);
    const instances = cloud.fleet.instances
      .filter(i => i.kind === 'training' && i.name === 'ssh-training-demo')
      .map(i => i.instanceId);
    expect(reply.json.target).toBe(TRAINING);
    expect(reply.json.nodes.map(n => [n.node, n.result])).toEqual([
      [1, 'not-waiting'],
      [2, 'not-waiting']
    ]);
    expect(reply.json.nodes.map(n => n.instanceId).sort()).toEqual(
      instances.sort()
    );
    const one = await post<IBridgeReleaseReport>('/api/jobs/release', {
      target: TRAINING,
      node: 2
    });
    expect(one.json.nodes.map(n => [n.node, n.result])).toEqual([
      [2, 'not-waiting']
    ]);
  }, 60_000);

  it('shows a job launched with SSH waiting, releases it, and keeps it as finished with its status once its node is gone', async () => {
    const name = 'bridge-ssh-job';
    const target = `${name}.training.sagemaker`;
    const events = await openEvents(SAME_HOST);
    try {
      await events.next(isType('targets'));
      const started = await startJobWithSsh(
        cloud.clients,
        {
          TrainingJobName: name,
          RoleArn: `arn:aws:iam::123456789012:role/${DEMO_ROLE}`,
          AlgorithmSpecification: {
            TrainingImage:
              '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310',
            TrainingInputMode: 'File',
            ContainerEntrypoint: [
              '/bin/sh',
              '-c',
              `echo "${name}: training"; sleep 6; echo "${name}: done"`
            ]
          },
          OutputDataConfig: {
            S3OutputPath: `s3://sagemaker-us-east-1-123456789012/${name}/output`
          },
          ResourceConfig: {
            InstanceType: 'ml.m5.xlarge',
            InstanceCount: 1,
            VolumeSizeInGB: 30
          },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 }
        },
        { waitSeconds: 600, sshNodes: 1 }
      );
      expect(started.target).toBe(target);
      const phaseOf = (phase: string) =>
        isType(
          'target-updated',
          event =>
            event.target.target === target && event.target.job?.phase === phase
        );
      const addedOrUpdated = (event: BridgeEvent) =>
        (event.type === 'target-added' || event.type === 'target-updated') &&
        event.target.target === target &&
        event.target.job?.phase === 'waiting';
      const waiting = (
        await events.next(
          (
            event
          ): event is Extract<
            BridgeEvent,
            { type: 'target-added' | 'target-updated' }
          > => addedOrUpdated(event),
          60_000
        )
      ).target;
      // the event may come before the node's agent first reported in (ConnectionLost until then); the launch
      // returned once it was Online
      expect(waiting.job).toMatchObject({ waitSeconds: 600, sshNodes: 1 });
      const online = await call<ITargetsResponse>(
        'GET',
        '/api/targets?refresh=1'
      );
      expect(
        online.json.targets.find(entry => entry.target === target)
      ).toMatchObject({
        status: 'InProgress',
        ping: 'Online',
        instances: started.instances,
        job: { phase: 'waiting', waitSeconds: 600, sshNodes: 1 }
      });
      const endsAt = waiting.job?.waitEndsAt ?? 0;
      expect(Math.abs(endsAt - (Date.now() / 1000 + 600))).toBeLessThan(120);

      const release = await post<IBridgeReleaseReport>('/api/jobs/release', {
        target
      });
      expect(release.status).toBe(200);
      expect(release.json).toEqual({
        target,
        nodes: [
          { node: 1, instanceId: started.instances[0], result: 'released' }
        ]
      });
      await events.next(phaseOf('running'), 30_000);
      // the command ends, the node deregisters: the target leaves the listing, and the bridge keeps it as finished
      const finished = (await events.next(phaseOf('finished'), 90_000)).target;
      expect(finished).toMatchObject({
        target,
        kind: 'training',
        status: 'Completed',
        ping: 'NotFound',
        instances: [],
        mine: true,
        job: { phase: 'finished', waitSeconds: 600, sshNodes: 1 }
      });
      expect(finished.job?.endedAt).toBeGreaterThan(endsAt - 700);
      expect(
        events.events.some(
          event => event.type === 'target-removed' && event.target === target
        )
      ).toBe(false);
      const listed = await call<ITargetsResponse>(
        'GET',
        '/api/targets?refresh=1'
      );
      expect(
        listed.json.targets.find(entry => entry.target === target)
      ).toEqual(finished);
      // its instance is gone from SSM: only the bridge still lists it
      const again = await post<IBridgeError>('/api/jobs/release', { target });
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(again.json.error).toMatch(new RegExp(name));
    } finally {
      events.close();
    }
  }, 180_000);
});

describe('sm-ssh serve as a process', () => {
  const env = () => ({
    PATH: process.env.PATH ?? '',
    ...sandboxEnv(cloud.sandbox),
    AWS_MAX_ATTEMPTS: '1',
    HOME: scratch,
    SM_SSH_CONFIG_DIR: configDir,
    SM_SSH_RESOURCE_METADATA: join(scratch, 'no-such-metadata.json')
  });

  /** `sm-ssh serve <args>` as a process, once it printed its first line. */
  async function serve(args: string[]) {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let errors = '';
    child.stderr.on('data', chunk => (errors += String(chunk)));
    const exited = new Promise<number | null>(resolve =>
      child.once('exit', code => resolve(code))
    );
    const line = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', chunk => {
        stdout += String(chunk);
        if (stdout.includes('\n')) {
          resolve(stdout.split('\n')[0]);
        }
      });
      child.once('exit', code =>
        reject(new Error(`exited ${code}: ${errors}`))
      );
    });
    return { child, exited, line, stderr: () => errors };
  }

  it('prints where it listens, answers /, and exits 0 on SIGTERM', async () => {
    const { child, exited, line, stderr } = await serve(['--port', '0']);
    const match =
      /^sm-ssh serve listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
    expect(match).not.toBeNull();
    const reply = await call('GET', '/', { to: { port: Number(match?.[1]) } });
    expect(reply.json).toEqual({ ok: true });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr()).toBe('');
  });

  it('serves a unix socket with --json and --verbose, logging requests without headers, and stops on SIGINT', async () => {
    const path = join(scratch, 'cli.sock');
    const { child, exited, line, stderr } = await serve([
      '--socket',
      path,
      '--json',
      '--verbose'
    ]);
    expect(JSON.parse(line)).toEqual({ listening: path, socket: path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const to = { socketPath: path };
    expect(
      (
        await call('GET', '/?secret=query', {
          to,
          headers: { cookie: '_xsrf=cookie-secret', authorization: 'token x' }
        })
      ).status
    ).toBe(200);
    expect((await call('POST', '/api/tunnels', { to, body: {} })).status).toBe(
      403
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/^sm-ssh serve: GET \/ 200 \d+ms\n/);
    expect(stderr()).toMatch(
      /\nsm-ssh serve: POST \/api\/tunnels 403 \d+ms\n$/
    );
    expect(stderr()).not.toMatch(/secret|cookie|token/);
    expect(() => statSync(path)).toThrow();
  });

  it('refuses a non-loopback --host with exit 2 and a one-line error', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--host', '0.0.0.0', '--port', '0'],
      { env: env(), stdio: ['ignore', 'pipe', 'pipe'] }
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += String(chunk)));
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    const code = await new Promise<number | null>(resolve =>
      child.once('exit', resolve)
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'sm-ssh: error: --host 0.0.0.0 is not a loopback address'
    );
    expect(lines.slice(1).every(text => text.startsWith('  hint: '))).toBe(
      true
    );
  });
});
