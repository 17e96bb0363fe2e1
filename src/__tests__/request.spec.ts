/// <reference types="node" />
/**
 * The bridge client against a real `sm-ssh serve` (the built CLI as a child process, no AWS credentials), through
 * JupyterLab's own ServerConnection (token, XSRF header from the `_xsrf` cookie): the readiness probe, info,
 * JSON errors as BridgeError (status, code, hint), the XSRF guard, and what is not the bridge speaking
 * (nothing listening, an HTML 500 of jupyter-server-proxy, the 503 stand-in).
 */
import { ServerConnection } from '@jupyterlab/services';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import {
  BridgeClient,
  BridgeError,
  requestAPI,
  UNREACHABLE_HINT
} from '../request';
import {
  bridgeBuilt,
  proxiedFetch,
  startBridge,
  type IRunningBridge
} from './support/bridge';

jest.setTimeout(60_000);

function settingsFor(
  origin: string,
  fetch: typeof globalThis.fetch = proxiedFetch()
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: `${origin}/`,
    wsUrl: origin.replace(/^http/, 'ws') + '/',
    fetch,
    token: '',
    appendToken: false
  });
}

async function failure(promise: Promise<unknown>): Promise<BridgeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BridgeError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a BridgeError');
}

function clearCookie() {
  document.cookie = '_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
}

const describeBridge = bridgeBuilt() ? describe : describe.skip;

describeBridge('BridgeClient with a real sm-ssh serve', () => {
  let bridge: IRunningBridge;

  beforeAll(async () => {
    bridge = await startBridge();
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  afterEach(clearCookie);

  it('answers the readiness probe GET / (what jupyter-server-proxy waits for)', async () => {
    const response = await fetch(`${bridge.origin}/`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('reads info: the CLI command line, default users, key and known_hosts paths', async () => {
    const client = new BridgeClient(settingsFor(bridge.origin));
    const info = await client.info();
    expect(info.region).toBe('us-east-1');
    expect(info.smSshCommand[0]).toBe(process.execPath);
    expect(info.smSshShellCommand).toContain('main.js');
    expect(info.defaultUsers.space).toBe('sagemaker-user');
    expect(info.identityFile).toMatch(/id_ed25519$/);
    expect(info.knownHostsFile).toMatch(/known_hosts$/);
    const tunnels = await client.tunnels();
    expect(tunnels).toEqual({ tunnels: [] });
  });

  it('turns an unknown route into a BridgeError with status, code and hint', async () => {
    const error = await failure(
      requestAPI('no/such/route', {}, settingsFor(bridge.origin))
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe('not-found');
    expect(error.error).toBe('no route /api/no/such/route');
    expect(error.hint).toBe('the bridge API lives under /api/');
    expect(error.message).toContain('the bridge API lives under /api/');
  });

  it('surfaces the missing credentials of a listing as code no-credentials', async () => {
    const client = new BridgeClient(settingsFor(bridge.origin));
    const error = await failure(client.targets());
    expect(error.code).toBe('no-credentials');
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.hint).toMatch(/credentials|execution role/);
  });

  it('sends the region and profile as query parameters (a bad region is a 400 naming it)', async () => {
    const client = new BridgeClient(settingsFor(bridge.origin), () => ({
      region: 'mars-north-1',
      profile: ''
    }));
    const error = await failure(client.targets());
    expect(error.status).toBe(400);
    expect(error.code).toBe('bad-request');
    expect(error.error).toContain('mars-north-1');
  });

  it('a POST without the XSRF header is refused (403) and the client says why', async () => {
    const client = new BridgeClient(settingsFor(bridge.origin));
    const error = await failure(
      client.startTunnel({ target: 'job.training.sagemaker', remotePort: 8888 })
    );
    expect(error.status).toBe(403);
    expect(error.code).toBe('forbidden');
    expect(error.error).toMatch(/X-XSRFToken/);
    expect(error.hint).toMatch(/reload JupyterLab/);
    const closing = await failure(client.closeTunnel('some-id'));
    expect(closing.status).toBe(403);
  });

  it('with the _xsrf cookie, ServerConnection adds the header and the request gets past the guard', async () => {
    document.cookie = '_xsrf=2|test-token; path=/';
    // the browser sends the cookie itself; Node's fetch needs it added
    const client = new BridgeClient(
      settingsFor(
        bridge.origin,
        proxiedFetch(() => '_xsrf=2|test-token')
      )
    );
    // a bad body: refused for its shape (400), no longer for XSRF
    const error = await failure(
      client.startTunnel({ target: 'job.training.sagemaker', remotePort: 0 })
    );
    expect(error.status).toBe(400);
    expect(error.error).toMatch(/remotePort/);
    // a header that does not match the cookie is refused
    const mismatched = new BridgeClient(
      settingsFor(
        bridge.origin,
        proxiedFetch(() => '_xsrf=other')
      )
    );
    const refused = await failure(
      mismatched.startTunnel({
        target: 'job.training.sagemaker',
        remotePort: 22
      })
    );
    expect(refused.status).toBe(403);
    expect(refused.error).toMatch(/does not match/);
    // DELETE of an unknown tunnel: past the guard, 404
    const missing = await failure(client.closeTunnel('no-such-tunnel'));
    expect(missing.status).toBe(404);
  });

  it('posts a release to /api/jobs/release: past the guard, a target that is no job is a 400 with a hint', async () => {
    document.cookie = '_xsrf=2|test-token; path=/';
    const client = new BridgeClient(
      settingsFor(
        bridge.origin,
        proxiedFetch(() => '_xsrf=2|test-token')
      )
    );
    const error = await failure(
      client.releaseJob('ep.inference.sagemaker', { node: 1 })
    );
    expect([error.status, error.code]).toEqual([400, 'bad-request']);
    expect(error.error).toBe(
      'ep.inference.sagemaker is not a training or processing job: only jobs launched with SSH wait to be released'
    );
    expect(error.hint).toMatch(/training\.sagemaker/);
    const node = await failure(
      client.releaseJob('j.training.sagemaker', { node: 0 })
    );
    expect(node.error).toMatch(/^node 0 is not a whole number/);
    // without the cookie: refused before anything else
    const unguarded = new BridgeClient(settingsFor(bridge.origin));
    const refused = await failure(unguarded.releaseJob('j.training.sagemaker'));
    expect([refused.status, refused.code]).toEqual([403, 'forbidden']);
  });
});

describe('requestAPI when the bridge is not the one answering', () => {
  let server: Server;
  let origin: string;
  let reply: (response: import('http').ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_, response) => reply(response));
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(done => server.close(done));
  });

  it("turns jupyter-server-proxy's HTML 500 into code unreachable with the server-log hint", async () => {
    reply = response => {
      response.writeHead(500, { 'content-type': 'text/html' });
      response.end('<html><body>500: Internal Server Error</body></html>');
    };
    const error = await failure(requestAPI('info', {}, settingsFor(origin)));
    expect(error.status).toBe(500);
    expect(error.code).toBe('unreachable');
    expect(error.hint).toBe(UNREACHABLE_HINT);
  });

  it("turns the package's 503 stand-in (JSON) into code unreachable, keeping its message", async () => {
    reply = response => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: 'sm-ssh serve cannot start: no Node.js',
          hint: 'install Node.js 20',
          code: 'failed'
        })
      );
    };
    const error = await failure(requestAPI('info', {}, settingsFor(origin)));
    expect(error).toMatchObject({
      status: 503,
      code: 'unreachable',
      error: 'sm-ssh serve cannot start: no Node.js',
      hint: 'install Node.js 20'
    });
  });

  it('refuses a 200 that is not JSON', async () => {
    reply = response => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    };
    const error = await failure(requestAPI('info', {}, settingsFor(origin)));
    expect(error.code).toBe('unreachable');
  });

  it('gives undefined for 204', async () => {
    reply = response => {
      response.writeHead(204);
      response.end();
    };
    await expect(
      requestAPI('tunnels/x', { method: 'GET' }, settingsFor(origin))
    ).resolves.toBeUndefined();
  });

  it('turns a network failure into status 0, code unreachable', async () => {
    const closed = createServer();
    await new Promise<void>(done => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(done => closed.close(done));
    const error = await failure(
      requestAPI('info', {}, settingsFor(`http://127.0.0.1:${port}`))
    );
    expect(error.status).toBe(0);
    expect(error.code).toBe('unreachable');
    expect(error.hint).toMatch(/Jupyter server/);
  });
});
