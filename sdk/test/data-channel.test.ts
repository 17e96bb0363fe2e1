/**
 * The client data channel against the sandbox's Session Manager and agent, end to end over real WebSockets and
 * TCP: StartSession through the real SSM client, the handshake, bytes both ways to a TCP echo server behind the
 * "instance", resume after forced WebSocket drops, and frames delayed, duplicated, reordered and corrupted.
 */
import {
  ResumeSessionCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand
} from '@aws-sdk/client-ssm';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { startSandbox, type ISandbox } from '../src/sandbox/index.js';
import { WEBSOCKET_LIFETIME_MS } from '../src/sandbox/sessions.js';
import { DataChannelSession } from '../src/ssm/index.js';

let sandbox: ISandbox;
let echo: Server;
let echoPort = 0;
let greeter: Server;
let greeterPort = 0;
let ssm: SSMClient;

beforeAll(async () => {
  echo = createServer(socket => socket.pipe(socket));
  await new Promise<void>(resolve => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  greeter = createServer(socket => socket.end('SSH-2.0-greeter\r\n'));
  await new Promise<void>(resolve => greeter.listen(0, '127.0.0.1', resolve));
  greeterPort = (greeter.address() as { port: number }).port;
  sandbox = await startSandbox({
    pacing: false,
    resolveTarget: (instanceId, portNumber) =>
      instanceId !== 'mi-0123456789abcdef0'
        ? undefined
        : {
            host: '127.0.0.1',
            port: portNumber === 2222 ? greeterPort : echoPort
          }
  });
  ssm = new SSMClient({
    region: 'us-east-1',
    endpoint: sandbox.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise(resolve => echo?.close(resolve));
  await new Promise(resolve => greeter?.close(resolve));
});

afterEach(() => {
  sandbox.sessions.faults = {};
  sandbox.sessions.webSocketLifetimeMs = WEBSOCKET_LIFETIME_MS;
});

async function openSession(portNumber = '22'): Promise<DataChannelSession> {
  const started = await ssm.send(
    new StartSessionCommand({
      Target: 'mi-0123456789abcdef0',
      DocumentName: 'AWS-StartSSHSession',
      Parameters: { portNumber: [portNumber] }
    })
  );
  const sessionId = started.SessionId as string;
  return DataChannelSession.open({
    sessionId,
    streamUrl: started.StreamUrl as string,
    tokenValue: started.TokenValue as string,
    resume: async () => {
      const resumed = await ssm.send(
        new ResumeSessionCommand({ SessionId: sessionId })
      );
      return {
        tokenValue: resumed.TokenValue ?? null,
        streamUrl: resumed.StreamUrl
      };
    },
    terminate: async () => {
      await ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    }
  });
}

async function roundTrip(
  session: DataChannelSession,
  size: number
): Promise<{ sent: string; received: string }> {
  const data = randomBytes(size);
  const received = createHash('sha256');
  let count = 0;
  const done = new Promise<void>((resolve, reject) => {
    session.on('data', (chunk: Buffer) => {
      received.update(chunk);
      count += chunk.length;
      if (count >= size) {
        resolve();
      }
    });
    session.once('close', reason =>
      reject(new Error(`session closed: ${reason}`))
    );
  });
  await session.write(data);
  await done;
  return {
    sent: createHash('sha256').update(data).digest('hex'),
    received: received.digest('hex')
  };
}

describe('data channel through the sandbox', () => {
  it('refuses an unknown or offline target as AWS does', async () => {
    await expect(
      ssm.send(
        new StartSessionCommand({
          Target: 'mi-00000000000000000',
          DocumentName: 'AWS-StartSSHSession'
        })
      )
    ).rejects.toMatchObject({ name: 'TargetNotConnected' });
  });

  it('carries 8 MiB to an echo server and back, byte for byte', async () => {
    const session = await openSession();
    expect(session.sessionType).toBe('Port');
    expect(session.properties).toEqual({ portNumber: '22' });
    const { sent, received } = await roundTrip(session, 8 * 1024 * 1024);
    expect(received).toBe(sent);
    await session.close();
    expect(session.isOpen).toBe(false);
  });

  it('resumes after 20 forced WebSocket drops during a 64 MiB round trip without losing or duplicating a byte', async () => {
    const session = await openSession();
    let reconnects = 0;
    session.on('reconnected', () => (reconnects += 1));
    // 64 MiB each way is about 8,200 input and 1,100 output messages and as many acks: a drop every 600 frames
    sandbox.sessions.faults = { dropConnectionEvery: 600 };
    const { sent, received } = await roundTrip(session, 64 * 1024 * 1024);
    sandbox.sessions.faults = {};
    expect(received).toBe(sent);
    expect(reconnects).toBeGreaterThanOrEqual(20);
    await session.close();
  });

  it('announces the port-forwarding properties of the document, localPortNumber included (the plugin listens on it)', async () => {
    const started = await ssm.send(
      new StartSessionCommand({
        Target: 'mi-0123456789abcdef0',
        DocumentName: 'AWS-StartPortForwardingSession',
        Parameters: { portNumber: ['7'], localPortNumber: ['45555'] }
      })
    );
    const session = await DataChannelSession.open({
      sessionId: started.SessionId as string,
      streamUrl: started.StreamUrl as string,
      tokenValue: started.TokenValue as string
    });
    expect(session.properties).toEqual({
      portNumber: '7',
      type: 'LocalPortForwarding',
      localPortNumber: '45555'
    });
    await session.close();
  });

  it('resumes when the service closes its WebSocket with 1000 "Bye" at the end of its lifetime', async () => {
    sandbox.sessions.webSocketLifetimeMs = 150;
    const session = await openSession();
    let reconnects = 0;
    session.on('reconnected', () => (reconnects += 1));
    await new Promise(resolve => setTimeout(resolve, 500));
    const first = await roundTrip(session, 1024 * 1024);
    expect(first.received).toBe(first.sent);
    expect(reconnects).toBeGreaterThanOrEqual(2);
    expect(session.isOpen).toBe(true);
    await session.close();
  });

  it('survives delayed, duplicated, reordered and corrupted frames', async () => {
    const session = await openSession();
    sandbox.sessions.faults = {
      delayMs: 1,
      duplicateEvery: 7,
      reorderEvery: 11,
      corruptEvery: 13
    };
    // 4 MiB makes ~64 output messages each way, so some duplicates land on data and not only on acks.
    const { sent, received } = await roundTrip(session, 4 * 1024 * 1024);
    expect(received).toBe(sent);
    expect(session.stats.duplicates).toBeGreaterThan(0);
    await session.close();
  });

  it('keeps what the server says first until the caller listens (no banner lost after the handshake)', async () => {
    const session = await openSession('2222');
    const closed = new Promise<string>(resolve =>
      session.once('close', resolve)
    );
    await new Promise(resolve => setTimeout(resolve, 300));
    const chunks: Buffer[] = [];
    session.on('data', (chunk: Buffer) => chunks.push(chunk));
    expect(await closed).toBe('port closed');
    await new Promise(resolve => setImmediate(resolve));
    expect(Buffer.concat(chunks).toString()).toBe('SSH-2.0-greeter\r\n');
  });

  it('ends with channel_closed when the instance closes the port', async () => {
    const session = await openSession();
    const closed = new Promise<string>(resolve =>
      session.once('close', resolve)
    );
    await sandbox.sessions
      .operations()
      .TerminateSession(
        { SessionId: session.sessionId },
        { region: 'us-east-1', account: '123456789012' }
      );
    expect(await closed).toBe('terminated with TerminateSession');
  });
});
