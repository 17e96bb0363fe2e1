/**
 * A client nobody here wrote against our sandbox: aws-ssm-bridge (crates.io, MIT), an independent Rust
 * implementation of the Session Manager data channel, through the small probe in `test/third-party/ssm-bridge-probe`
 * that scripts/bootstrap.sh builds. It calls our SSM endpoint (StartSession, ResumeSession, TerminateSession) with
 * the AWS SDK for Rust, opens our data-channel WebSocket, does the agent's handshake, acks, resends, smux — and
 * real OpenSSH runs over it to the instance's real sshd. Its frame codec is also checked against ours, both ways.
 * A missing probe is a failure with the fix, never a skip.
 *
 * Where forced WebSocket drops are injected, and why only there: aws-ssm-bridge 0.6.0 itself can lose data when a
 * channel dies mid-transfer (seen here, read in its source): frames its reader takes after another of its tasks
 * has closed the session are acknowledged and counted but emitted into the closed output fan-out, and data queued
 * for a channel that dies before sending it is dropped. So each drop here hits the first frame of a transfer that
 * starts on an idle session: everything else in flight must come back through ResumeSession and the agent's replay,
 * and a loss or duplicate is then ours to explain.
 */
import {
  spawn,
  spawnSync,
  type ChildProcessWithoutNullStreams
} from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync
} from 'node:fs';
import {
  createServer,
  type AddressInfo,
  type Server,
  type Socket
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  startSandbox,
  startSshd,
  type ISandbox,
  type ISshd
} from '../src/sandbox/index.js';
import {
  decodeClientMessage,
  encodeClientMessage,
  MessageFlags,
  MessageType,
  PayloadType,
  type IClientMessageInit
} from '../src/ssm/message.js';
import {
  encodeAcknowledge,
  encodeChannelClosed,
  encodeFlag,
  encodeHandshakeComplete,
  encodeHandshakeRequest
} from '../src/ssm/payloads.js';
import { REPO_ROOT, sandboxEnv } from './harness/cloud.js';

const PROBE_SOURCES = `${REPO_ROOT}sdk/test/third-party/ssm-bridge-probe/`;
const PROBE_OUT = `${REPO_ROOT}.cache/ssm-bridge-probe/bin/`;
const PROBE = `${PROBE_OUT}ssm-bridge-probe`;
const INSTANCE = 'mi-0123456789abcdef0';
/** A port of the instance served by {@link peer}: the test writes to and reads from its connection. */
const PEER_PORT = 5001;
/** Small round trips before the upload drop: enough samples to bring a 30 s RTO below a second. */
const RTT_SETTLING_WRITES = 40;

let sandbox: ISandbox;
let sshd: ISshd;
let env: Record<string, string>;
let work: string;
let peerServer: Server;
interface IPeer {
  socket: Socket;
  received: Buffer[];
  bytes: number;
}
/** The latest connection the agent dialled to {@link PEER_PORT}. */
let peer: IPeer | undefined;
const latestPeer = (): IPeer | undefined => peer;

/** The probe bootstrap built from exactly these sources (its stamp), or an error that says how to get it. */
function checkProbe(): void {
  if (!existsSync(PROBE) || !existsSync(`${PROBE_OUT}.sources.sha256`)) {
    throw new Error(
      `${PROBE} is missing: run scripts/bootstrap.sh (it builds aws-ssm-bridge with cargo)`
    );
  }
  const rust = readdirSync(`${PROBE_SOURCES}src`)
    .filter(file => file.endsWith('.rs'))
    .sort()
    .map(file => `src/${file}`);
  const sources = ['Cargo.toml', 'Cargo.lock', ...rust].map(file =>
    readFileSync(PROBE_SOURCES + file)
  );
  const want = createHash('sha256').update(Buffer.concat(sources));
  if (
    readFileSync(`${PROBE_OUT}.sources.sha256`, 'utf8').trim() !==
    want.digest('hex')
  ) {
    throw new Error(
      `${PROBE} was built from other sources: run scripts/bootstrap.sh again`
    );
  }
}

beforeAll(async () => {
  checkProbe();
  work = mkdtempSync(join(tmpdir(), 'sm-ssh-third-party-'));
  sshd = await startSshd();
  peerServer = createServer(socket => {
    const connection: IPeer = { socket, received: [], bytes: 0 };
    socket.on('data', (chunk: Buffer) => {
      connection.received.push(chunk);
      connection.bytes += chunk.length;
    });
    socket.on('error', () => undefined);
    peer = connection;
  });
  await new Promise<void>(resolve =>
    peerServer.listen(0, '127.0.0.1', resolve)
  );
  const ports: Record<number, number> = {
    22: sshd.port,
    [PEER_PORT]: (peerServer.address() as AddressInfo).port
  };
  sandbox = await startSandbox({
    pacing: false,
    resolveTarget: (instanceId, portNumber) =>
      instanceId === INSTANCE && ports[portNumber]
        ? { host: '127.0.0.1', port: ports[portNumber] }
        : undefined
  });
  env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    ...sandboxEnv(sandbox)
  };
});

afterAll(async () => {
  await sandbox?.close();
  await sshd?.stop();
  peer?.socket.destroy();
  await new Promise(resolve => peerServer?.close(resolve));
  if (work) {
    rmSync(work, { recursive: true, force: true });
  }
});

afterEach(() => {
  if (sandbox) {
    sandbox.sessions.faults = {};
  }
});

const sshOptions = (): string[] => [
  '-F',
  '/dev/null',
  '-i',
  sshd.identityFile,
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'BatchMode=yes',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR'
];

interface IRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  input?: Buffer,
  onStdout?: (chunk: Buffer) => void
): Promise<IRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      onStdout?.(chunk);
    });
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', code =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr })
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** `ssh root@mi-…` with the third-party client as ProxyCommand (AWS-StartSSHSession). */
function sshViaProbe(
  command: string,
  events: string,
  input?: Buffer,
  onStdout?: (chunk: Buffer) => void
): Promise<IRun> {
  return run(
    'ssh',
    [
      ...sshOptions(),
      '-o',
      `ProxyCommand=${PROBE} proxy %h --events ${events}`,
      `root@${INSTANCE}`,
      command
    ],
    input,
    onStdout
  );
}

interface IProbeEvent {
  event: string;
  sessionId?: string;
  reason?: string;
  outcome?: string;
  counters?: Record<string, number>;
}

function readEvents(file: string): IProbeEvent[] {
  if (!existsSync(file)) {
    return [];
  }
  // Complete lines only: the probe may be writing the last one.
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  return lines
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as IProbeEvent);
}

const sha256 = (data: Buffer): string =>
  createHash('sha256').update(data).digest('hex');

/** Resolves once `ready()` is true; fails after `ms`. */
async function until(
  ready: () => boolean,
  what: string,
  ms = 30_000
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/**
 * Arms the sandbox to drop the client's WebSocket abruptly (as a network failure does) on the next data-channel
 * frame, whichever side sends it, and disarms it as soon as the probe reports the disconnect. The caller makes that
 * next frame the first of a new transfer while the session is otherwise idle, so each drop loses frames in flight
 * that only the resume can bring back, and no transfer is half-read when the socket dies (see the note at the
 * top).
 */
function armDrop(events: string): Promise<void> {
  const before = readEvents(events).filter(
    e => e.event === 'disconnected'
  ).length;
  sandbox.sessions.faults = { dropConnectionOnce: true };
  return until(
    () =>
      readEvents(events).filter(e => e.event === 'disconnected').length >
      before,
    'the forced WebSocket drop'
  ).finally(() => {
    sandbox.sessions.faults = {};
  });
}

describe('aws-ssm-bridge (third-party client) through our sandbox', () => {
  it('carries OpenSSH over AWS-StartSSHSession to the real sshd', async () => {
    const events = join(work, 'command.jsonl');
    const before = sandbox.sessions.list().length;
    const result = await sshViaProbe('echo ok; whoami', events);
    expect(result.stderr).toBe('');
    expect(result.stdout.toString()).toBe('ok\nroot\n');
    expect(result.code).toBe(0);
    const started = readEvents(events).find(e => e.event === 'started');
    const sessions = sandbox.sessions.list().slice(before);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({
      sessionId: started?.sessionId,
      target: INSTANCE
    });
  });

  it('pipes 16 MiB through cat and back with the same SHA-256', async () => {
    const data = randomBytes(16 * 1024 * 1024);
    const result = await sshViaProbe('cat', join(work, 'cat.jsonl'), data);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(data.length);
    expect(sha256(result.stdout)).toBe(sha256(data));
  });

  it('resumes with ResumeSession after forced WebSocket drops, both ways, losing and duplicating nothing', async () => {
    const events = join(work, 'drops.jsonl');
    const probe = spawn(
      PROBE,
      ['proxy', INSTANCE, '--port', String(PEER_PORT), '--events', events],
      { env }
    );
    let stderr = '';
    const output: Buffer[] = [];
    let outputBytes = 0;
    probe.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk);
      outputBytes += chunk.length;
    });
    probe.stderr.on('data', chunk => (stderr += String(chunk)));
    const exited = new Promise<number>(resolve =>
      probe.once('close', code => resolve(code ?? -1))
    );
    try {
      peer = undefined;
      await until(
        () => latestPeer() !== undefined,
        'the agent to dial the port'
      );
      const connection = latestPeer() as IPeer;
      // Download: four 12 MiB parts from the instance's port; a drop on the first frame of parts 2, 3 and 4.
      const down: Buffer[] = [];
      for (let part = 0; part < 4; part++) {
        const data = randomBytes(12 * 1024 * 1024);
        down.push(data);
        const total = down.reduce((sum, b) => sum + b.length, 0);
        const drop = part > 0 ? armDrop(events) : Promise.resolve();
        connection.socket.write(data);
        await drop;
        await until(() => outputBytes >= total, `download part ${part + 1}`);
      }
      // Upload: 4 MiB; small writes one at a time, so that aws-ssm-bridge's RTO, inflated by the bulk transfers
      // above on a busy machine (up to its 30 s cap), comes down to a few round trips of an idle session (RFC 6298
      // smoothing: each sample weighs 1/8); one small write whose frame is dropped with the socket, which the client
      // resends on the resumed channel once that RTO runs out; the instance's reply (after a resume aws-ssm-bridge
      // sends new data only once the agent has spoken again); 4 MiB more.
      const settling = Array.from({ length: RTT_SETTLING_WRITES }, () =>
        randomBytes(100)
      );
      const up = [randomBytes(4 * 1024 * 1024), ...settling, randomBytes(1000)];
      up.push(randomBytes(4 * 1024 * 1024));
      const dropped = settling.length + 2;
      const uploaded = (parts: number) =>
        up.slice(0, parts).reduce((sum, b) => sum + b.length, 0);
      probe.stdin.write(up[0]);
      await until(() => connection.bytes >= uploaded(1), 'upload part 1');
      for (let part = 2; part < dropped; part++) {
        probe.stdin.write(up[part - 1]);
        await until(
          () => connection.bytes >= uploaded(part),
          `settling write ${part - 1}`
        );
        await new Promise(resolve => setTimeout(resolve, 20)); // its ack is back: one RTT sample each
      }
      const drop = armDrop(events);
      probe.stdin.write(up[dropped - 1]);
      await drop;
      await until(
        () => connection.bytes >= uploaded(dropped),
        'the dropped upload, resent'
      );
      const reply = randomBytes(1000);
      down.push(reply);
      connection.socket.write(reply);
      await until(() => outputBytes >= 48 * 1024 * 1024 + 1000, 'the reply');
      probe.stdin.write(up[dropped]);
      await until(
        () => connection.bytes >= uploaded(dropped + 1),
        'the last upload part'
      );
      expect(stderr).toBe('');
      expect(outputBytes).toBe(48 * 1024 * 1024 + 1000);
      expect(sha256(Buffer.concat(output))).toBe(sha256(Buffer.concat(down)));
      expect(connection.bytes).toBe(uploaded(up.length));
      expect(sha256(Buffer.concat(connection.received))).toBe(
        sha256(Buffer.concat(up))
      );
    } finally {
      probe.stdin.end();
    }
    expect(await exited).toBe(0);
    const seen = readEvents(events);
    const count = (name: string) => seen.filter(e => e.event === name).length;
    expect(count('disconnected')).toBeGreaterThanOrEqual(4);
    expect(count('resumed')).toBe(count('disconnected'));
    expect(count('replaced')).toBe(0);
    expect(seen.at(-1)).toMatchObject({ event: 'exit', outcome: 'ok' });
  }, 180_000);

  it('forwards a port over smux: parallel ssh connections in one AWS-StartPortForwardingSession', async () => {
    const before = sandbox.sessions.list().length;
    const forwarder = spawn(PROBE, ['forward', INSTANCE, '22'], {
      env
    }) as ChildProcessWithoutNullStreams;
    let stderr = '';
    forwarder.stderr.on('data', chunk => (stderr += String(chunk)));
    const exited = new Promise<number>(resolve =>
      forwarder.once('close', code => resolve(code ?? -1))
    );
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: forwarder.stdout }).once('line', resolve);
        forwarder.once('close', () =>
          reject(new Error(`the forwarder exited: ${stderr}`))
        );
      });
      const { port } = JSON.parse(first) as { port: number };
      const direct = (command: string, input?: Buffer) =>
        run(
          'ssh',
          [...sshOptions(), '-p', String(port), 'root@127.0.0.1', command],
          input
        );
      const data = randomBytes(8 * 1024 * 1024);
      const [echoes, copy] = await Promise.all([
        Promise.all([1, 2, 3, 4].map(i => direct(`echo stream-${i}`))),
        direct('cat', data)
      ]);
      echoes.forEach((result, i) => {
        expect(result.stderr).toBe('');
        expect(result.stdout.toString()).toBe(`stream-${i + 1}\n`);
      });
      expect(copy.code).toBe(0);
      expect(sha256(copy.stdout)).toBe(sha256(data));
      // Five TCP connections, one SSM session.
      const sessions = sandbox.sessions.list().slice(before);
      expect(sessions).toHaveLength(1);
      expect(sessions[0].target).toBe(INSTANCE);
    } finally {
      forwarder.stdin.end();
    }
    expect(await exited).toBe(0);
  });
});

describe('frames: our codec and aws-ssm-bridge agree byte for byte', () => {
  const id = 'dd01e56b-ff48-483e-a508-b5f073f31b16';
  const other = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff';
  const at = 1_700_000_000_000;
  const messages: IClientMessageInit[] = [
    {
      messageType: MessageType.InputStreamData,
      createdDate: at,
      sequenceNumber: 0,
      messageId: id,
      payloadType: PayloadType.Output,
      payload: Buffer.from('hello')
    },
    {
      messageType: MessageType.InputStreamData,
      createdDate: at,
      sequenceNumber: 5,
      messageId: other,
      payloadType: PayloadType.Flag,
      payload: encodeFlag(2)
    },
    {
      messageType: MessageType.Acknowledge,
      createdDate: at,
      sequenceNumber: 0,
      flags: MessageFlags.SynFin,
      messageId: other,
      payloadType: PayloadType.None,
      payload: encodeAcknowledge({
        messageType: MessageType.OutputStreamData,
        messageId: id,
        sequenceNumber: 0
      })
    },
    {
      messageType: MessageType.OutputStreamData,
      createdDate: at,
      sequenceNumber: 0,
      flags: MessageFlags.Syn,
      messageId: id,
      payloadType: PayloadType.HandshakeRequest,
      payload: encodeHandshakeRequest({
        AgentVersion: '3.3.2299.0',
        RequestedClientActions: [
          {
            ActionType: 'SessionType',
            ActionParameters: {
              SessionType: 'Port',
              Properties: { portNumber: '22' }
            }
          }
        ]
      })
    },
    {
      messageType: MessageType.OutputStreamData,
      createdDate: at + 1,
      sequenceNumber: 1,
      messageId: other,
      payloadType: PayloadType.HandshakeComplete,
      payload: encodeHandshakeComplete({
        HandshakeTimeToComplete: 1_234_567,
        CustomerMessage: ''
      })
    },
    {
      messageType: MessageType.OutputStreamData,
      createdDate: at + 2,
      sequenceNumber: 2 ** 40,
      messageId: id,
      payloadType: PayloadType.Output,
      payload: randomBytes(65536)
    },
    {
      messageType: MessageType.ChannelClosed,
      createdDate: at,
      sequenceNumber: 0,
      flags: MessageFlags.SynFin,
      messageId: other,
      payloadType: PayloadType.Output,
      payload: encodeChannelClosed({
        MessageId: other,
        CreatedDate: new Date(at).toISOString(),
        DestinationId: 's-1',
        SessionId: 's-1',
        MessageType: MessageType.ChannelClosed,
        SchemaVersion: 1,
        Output: 'port closed'
      })
    },
    {
      messageType: MessageType.PausePublication,
      createdDate: at,
      sequenceNumber: 0,
      messageId: id,
      payloadType: PayloadType.None,
      payload: Buffer.alloc(0)
    }
  ];

  /** One JSON request per line to `ssm-bridge-probe frames`, one answer per line back. */
  function probeFrames(requests: object[]): Array<{
    ok: boolean;
    error?: string;
    value?: Record<string, unknown>;
  }> {
    checkProbe();
    const result = spawnSync(PROBE, ['frames'], {
      input: requests.map(r => JSON.stringify(r)).join('\n') + '\n',
      maxBuffer: 64 * 1024 * 1024
    });
    expect(result.status).toBe(0);
    return String(result.stdout)
      .trim()
      .split('\n')
      .map(line => JSON.parse(line));
  }

  const fieldsOf = (m: IClientMessageInit) => ({
    messageType: m.messageType,
    schemaVersion: 1,
    createdDate: m.createdDate,
    sequenceNumber: m.sequenceNumber,
    flags: m.flags ?? 0,
    messageId: m.messageId,
    payloadType: m.payloadType,
    payload: Buffer.from(m.payload as Uint8Array).toString('hex')
  });

  it('decodes what we encode into the same fields', () => {
    const ours = messages.map(m => encodeClientMessage(m));
    const answers = probeFrames(ours.map(b => ({ decode: b.toString('hex') })));
    answers.forEach((answer, i) => {
      expect(answer).toMatchObject({ ok: true });
      expect(answer.value).toEqual({
        ...fieldsOf(messages[i]),
        payloadDigest: sha256(Buffer.from(messages[i].payload as Uint8Array))
      });
    });
  });

  it('encodes the same fields into exactly our bytes, which we decode back', () => {
    const answers = probeFrames(messages.map(m => ({ encode: fieldsOf(m) })));
    answers.forEach((answer, i) => {
      expect(answer).toMatchObject({ ok: true });
      const theirs = Buffer.from(String(answer.value?.hex), 'hex');
      expect(theirs.toString('hex')).toBe(
        encodeClientMessage(messages[i]).toString('hex')
      );
      const decoded = decodeClientMessage(theirs);
      expect(decoded.digest).toBe(
        messages[i].messageType === MessageType.PausePublication
          ? 'skipped'
          : 'match'
      );
      expect({
        messageType: decoded.messageType,
        schemaVersion: decoded.schemaVersion,
        createdDate: decoded.createdDate,
        sequenceNumber: decoded.sequenceNumber,
        flags: decoded.flags,
        messageId: decoded.messageId,
        payloadType: decoded.payloadType,
        payload: decoded.payload.toString('hex')
      }).toEqual(fieldsOf(messages[i]));
    });
  });

  it('both refuse a payload that does not match its digest', () => {
    const frame = encodeClientMessage(messages[0]);
    frame[frame.length - 1] ^= 0xff;
    expect(() => decodeClientMessage(frame)).toThrow(/digest/);
    const [answer] = probeFrames([{ decode: frame.toString('hex') }]);
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/digest/);
  });
});
