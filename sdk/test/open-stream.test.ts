/**
 * `openStream(target, port)` through the sandbox: a Duplex per TCP connection, streams to the same place sharing
 * one multiplexed session that ends after its last stream, backpressure from a slow reader down to the server
 * behind the instance (also through `sm-ssh proxy` with a slow stdout), and one-line errors for bad input.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AwsClients } from '../src/aws/index.js';
import { UsageError } from '../src/errors.js';
import {
  SANDBOX_CREDENTIALS,
  startSandbox,
  type ISandbox
} from '../src/sandbox/index.js';
import { openStream, PortStreamPool } from '../src/ssm/index.js';
import { CLI, sandboxEnv } from './harness/cloud.js';

const INSTANCE = 'mi-0123456789abcdef0';
const ECHO_PORT = 7;
const FIREHOSE_PORT = 19;
let sandbox: ISandbox;
let clients: AwsClients;
let echo: Server;
let firehose: Server;
let firehoseSocket: Socket | undefined;
const saved = { ...process.env };

async function listen(server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Writes zeros for as long as the reader takes them, as fast as TCP's backpressure allows. */
function serveFirehose(socket: Socket): void {
  firehoseSocket = socket;
  const chunk = Buffer.alloc(64 * 1024);
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk)) {
      // keep writing until the socket's buffer is full
    }
    if (!socket.destroyed) {
      socket.once('drain', pump);
    }
  };
  socket.on('error', () => undefined);
  pump();
}

beforeAll(async () => {
  echo = createServer(socket => socket.pipe(socket));
  firehose = createServer(serveFirehose);
  const ports = new Map([
    [ECHO_PORT, await listen(echo)],
    [FIREHOSE_PORT, await listen(firehose)]
  ]);
  sandbox = await startSandbox({
    pacing: false,
    resolveTarget: (instanceId, portNumber) => {
      const port = ports.get(portNumber);
      return instanceId === INSTANCE && port
        ? { host: '127.0.0.1', port }
        : undefined;
    }
  });
  Object.assign(process.env, sandbox.env);
  clients = new AwsClients('us-east-1', async () => ({
    accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
  }));
});

afterAll(async () => {
  process.env = saved;
  await sandbox?.close();
  await new Promise(resolve => echo?.close(resolve));
  firehoseSocket?.destroy();
  await new Promise(resolve => firehose?.close(resolve));
});

async function echoRoundTrip(stream: Duplex, size: number): Promise<boolean> {
  const data = randomBytes(size);
  const received = createHash('sha256');
  let count = 0;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      received.update(chunk);
      count += chunk.length;
      if (count >= size) {
        resolve();
      }
    });
    stream.once('error', reject);
  });
  stream.write(data);
  await done;
  stream.end();
  return (
    received.digest('hex') === createHash('sha256').update(data).digest('hex')
  );
}

const sessionsTo = (status?: string) =>
  sandbox.sessions
    .list()
    .filter(session => status === undefined || session.status === status)
    .length;

describe('openStream', () => {
  it('carries 8 parallel connections over one session, byte for byte', async () => {
    const before = sessionsTo();
    const streams = await Promise.all(
      Array.from({ length: 8 }, () =>
        openStream(INSTANCE, ECHO_PORT, { clients })
      )
    );
    const results = await Promise.all(
      streams.map(stream => echoRoundTrip(stream, 2 * 1024 * 1024))
    );
    expect(results).toEqual(Array(8).fill(true));
    expect(sessionsTo() - before).toBe(1);
  });

  it('ends the shared session shortly after its last stream closes', async () => {
    const pool = new PortStreamPool(clients, { lingerMs: 100 });
    const stream = await pool.open(INSTANCE, ECHO_PORT);
    expect(await echoRoundTrip(stream, 1024)).toBe(true);
    const session = sandbox.sessions.list().at(-1);
    await new Promise(resolve => setTimeout(resolve, 600));
    const after = sandbox.sessions
      .list()
      .find(s => s.sessionId === session?.sessionId);
    expect(after?.status).toBe('Terminated');
    const again = await pool.open(INSTANCE, ECHO_PORT);
    expect(await echoRoundTrip(again, 1024)).toBe(true);
    await pool.close();
  });

  it('keeps memory flat under a slow reader: the server behind the instance is held back', async () => {
    const pool = new PortStreamPool(clients, { lingerMs: 0 });
    const stream = await pool.open(INSTANCE, FIREHOSE_PORT);
    try {
      stream.pause();
      // garbage of the relay's copies is not what this measures: collect it before each sample when node allows
      // (scripts/test.sh runs jest with --expose-gc; without it the figure includes uncollected garbage)
      const collect =
        (globalThis as { gc?: () => void }).gc ?? (() => undefined);
      collect();
      const before = process.memoryUsage().arrayBuffers;
      let consumed = 0;
      let peak = 0;
      for (let tick = 0; tick < 100; tick++) {
        await new Promise(resolve => setTimeout(resolve, 20));
        let chunk: Buffer | null;
        let budget = 64 * 1024;
        while (budget > 0 && (chunk = stream.read() as Buffer | null)) {
          consumed += chunk.length;
          budget -= chunk.length;
        }
        collect();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      }
      const written = firehoseSocket?.bytesWritten ?? 0;
      // 2 s at this pace reads ~6 MiB; without backpressure the firehose would have pushed hundreds of MiB.
      expect(consumed).toBeGreaterThan(1024 * 1024);
      expect(written - consumed).toBeLessThan(32 * 1024 * 1024);
      expect(peak).toBeLessThan(64 * 1024 * 1024);
    } finally {
      // closed even when an expectation fails, so the session's end is not an unhandled error
      stream.destroy();
      await pool.close();
    }
  });

  it('refuses a bad target or port with a one-line usage error', async () => {
    await expect(openStream('i-nope', 22, { clients })).rejects.toThrow(
      UsageError
    );
    await expect(openStream(INSTANCE, 0, { clients })).rejects.toThrow(
      /port 0 is not a port number/
    );
  });

  it('reports a target that is not connected', async () => {
    await expect(
      openStream('mi-00000000000000000', 22, { clients })
    ).rejects.toThrow(/is not connected to SSM/);
  });
});

/** Resident memory of a process, from /proc. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8')
  );
  return match ? Number(match[1]) * 1024 : 0;
}

describe('sm-ssh proxy', () => {
  it('keeps memory flat when whoever reads its stdout is slow', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'proxy', INSTANCE, '--port', String(FIREHOSE_PORT)],
      {
        env: { PATH: process.env.PATH ?? '', ...sandboxEnv(sandbox) },
        stdio: ['pipe', 'pipe', 'inherit']
      }
    );
    const stdout = child.stdout;
    stdout.pause();
    let consumed = 0;
    let peakRss = 0;
    for (let tick = 0; tick < 150; tick++) {
      await new Promise(resolve => setTimeout(resolve, 20));
      let chunk: Buffer | null;
      let budget = 64 * 1024;
      while (budget > 0 && (chunk = stdout.read() as Buffer | null)) {
        consumed += chunk.length;
        budget -= chunk.length;
      }
      peakRss = Math.max(peakRss, rssBytes(child.pid as number));
    }
    const written = firehoseSocket?.bytesWritten ?? 0;
    child.kill('SIGHUP');
    await new Promise(resolve => child.once('exit', resolve));
    expect(consumed).toBeGreaterThan(1024 * 1024);
    expect(written - consumed).toBeLessThan(32 * 1024 * 1024);
    expect(peakRss).toBeLessThan(150 * 1024 * 1024);
  });
});
