import { SsmProtocolError } from './errors.js';
import {
  MessageType,
  PayloadType,
  decodeClientMessage,
  encodeClientMessage,
  type IClientMessage
} from './message.js';
import { parseAcknowledge } from './payloads.js';
import {
  ReliableChannel,
  type IReliableChannelOptions
} from './reliability.js';

interface IHarness {
  channel: ReliableChannel;
  sent: IClientMessage[];
  raw: Buffer[];
  delivered: IClientMessage[];
  control: IClientMessage[];
  drains: number;
  exhausted: number[];
}

let ids = 0;
function nextId(): string {
  ids++;
  return `00000000-0000-4000-8000-${ids.toString(16).padStart(12, '0')}`;
}

function harness(options: IReliableChannelOptions = {}): IHarness {
  const h: IHarness = {
    channel: undefined as unknown as ReliableChannel,
    sent: [],
    raw: [],
    delivered: [],
    control: [],
    drains: 0,
    exhausted: []
  };
  h.channel = new ReliableChannel(
    {
      transmit: frame => {
        h.raw.push(frame);
        h.sent.push(decodeClientMessage(frame));
      },
      deliver: m => h.delivered.push(m),
      control: m => h.control.push(m),
      drain: () => h.drains++,
      exhausted: seq => h.exhausted.push(seq)
    },
    { wallClock: () => 1700000000000, newMessageId: nextId, ...options }
  );
  return h;
}

function peerMessage(seq: number, text = `m${seq}`): Buffer {
  return encodeClientMessage({
    messageType: MessageType.OutputStreamData,
    createdDate: 1700000000000,
    sequenceNumber: seq,
    messageId: nextId(),
    payloadType: PayloadType.Output,
    payload: Buffer.from(text)
  });
}

function ackFrame(seq: number): Buffer {
  return encodeClientMessage({
    messageType: MessageType.Acknowledge,
    createdDate: 1700000000000,
    sequenceNumber: 0,
    flags: 3,
    messageId: nextId(),
    payloadType: 0,
    payload: Buffer.from(
      JSON.stringify({
        AcknowledgedMessageType: 'input_stream_data',
        AcknowledgedMessageId: nextId(),
        AcknowledgedMessageSequenceNumber: seq,
        IsSequentialMessage: true
      })
    )
  });
}

function acksOf(h: IHarness): number[] {
  return h.sent
    .filter(m => m.messageType === MessageType.Acknowledge)
    .map(m => parseAcknowledge(m.payload).AcknowledgedMessageSequenceNumber);
}

function dataSeqs(h: IHarness): number[] {
  return h.sent
    .filter(m => m.messageType === MessageType.InputStreamData)
    .map(m => m.sequenceNumber);
}

const data = (s: string): Buffer => Buffer.from(s);

describe('ReliableChannel: receiving', () => {
  it('delivers in order, exactly once, from shuffled and duplicated input', () => {
    const h = harness();
    const n = 50;
    const frames = Array.from({ length: n }, (_, i) => peerMessage(i));
    let seed = 7;
    const rand = (): number =>
      (seed = (seed * 16807) % 2147483647) / 2147483647;
    const input = [...frames, ...frames.filter((_, i) => i % 3 === 0)];
    for (let i = input.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [input[i], input[j]] = [input[j], input[i]];
    }
    input.forEach(f => h.channel.receiveFrame(f, 0));
    expect(h.delivered.map(m => m.payload.toString())).toEqual(
      frames.map((_, i) => `m${i}`)
    );
    expect(h.channel.stats.expectedSequenceNumber).toBe(n);
    expect(h.channel.stats.reorderBuffered).toBe(0);
    // every copy received is acknowledged (duplicates too)
    expect(acksOf(h).length).toBe(input.length);
    expect(new Set(acksOf(h))).toEqual(new Set(frames.map((_, i) => i)));
  });

  it('acks with the acked type, id and sequence number', () => {
    const h = harness();
    const m = h.channel.receiveFrame(peerMessage(0), 0);
    const ack = h.sent[0];
    expect(ack).toMatchObject({
      messageType: 'acknowledge',
      sequenceNumber: 0,
      flags: 3,
      payloadType: 0
    });
    expect(parseAcknowledge(ack.payload)).toEqual({
      AcknowledgedMessageType: 'output_stream_data',
      AcknowledgedMessageId: m.messageId,
      AcknowledgedMessageSequenceNumber: 0,
      IsSequentialMessage: true
    });
  });

  it('re-acks old duplicates unless told not to (plugin behaviour)', () => {
    const h = harness();
    h.channel.receiveFrame(peerMessage(0), 0);
    h.channel.receiveFrame(peerMessage(0), 0);
    expect(acksOf(h)).toEqual([0, 0]);
    expect(h.delivered.length).toBe(1);
    const p = harness({ reackOldDuplicates: false });
    p.channel.receiveFrame(peerMessage(0), 0);
    p.channel.receiveFrame(peerMessage(0), 0);
    expect(acksOf(p)).toEqual([0]);
  });

  it('drops out-of-order messages unacked when the reorder buffer is full', () => {
    const h = harness({ incomingCapacity: 2 });
    [3, 2, 1].forEach(s => h.channel.receiveFrame(peerMessage(s), 0));
    expect(acksOf(h)).toEqual([3, 2]);
    expect(h.channel.stats.dropped).toBe(1);
    h.channel.receiveFrame(peerMessage(0), 0);
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0]);
    h.channel.receiveFrame(peerMessage(1), 0);
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0, 1, 2, 3]);
  });

  it('holds delivery: keeps and acks what fits in incomingBytes, drops the rest unacked, drains on release', () => {
    const h = harness({ incomingBytes: 4 });
    h.channel.holdDelivery();
    h.channel.receiveFrame(peerMessage(0), 0);
    h.channel.receiveFrame(peerMessage(1), 0);
    h.channel.receiveFrame(peerMessage(2), 0);
    expect(acksOf(h)).toEqual([0, 1]);
    expect(h.delivered).toEqual([]);
    expect(h.channel.stats.reorderBuffered).toBe(2);
    h.channel.releaseDelivery();
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0, 1]);
    h.channel.receiveFrame(peerMessage(2), 0);
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0, 1, 2]);
  });

  it('refuses delivery before the port exists: the in-order message stays unacked, later ones are buffered', () => {
    const h = harness();
    h.channel.refuseDelivery();
    h.channel.receiveFrame(peerMessage(0), 0);
    h.channel.receiveFrame(peerMessage(1), 0);
    expect(acksOf(h)).toEqual([1]);
    expect(h.channel.stats.notReady).toBe(1);
    h.channel.acceptDelivery();
    expect(h.delivered).toEqual([]);
    h.channel.receiveFrame(peerMessage(0), 0);
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0, 1]);
  });

  it('bounds the reorder buffer by bytes: an out-of-order message beyond it is dropped unacked', () => {
    const h = harness({ incomingBytes: 2 });
    h.channel.receiveFrame(peerMessage(1), 0);
    h.channel.receiveFrame(peerMessage(2), 0);
    expect(acksOf(h)).toEqual([1]);
    h.channel.receiveFrame(peerMessage(0), 0);
    expect(h.delivered.map(m => m.sequenceNumber)).toEqual([0, 1]);
  });

  it('passes channel_closed and unknown-to-us messages to control', () => {
    const h = harness();
    const closed = encodeClientMessage({
      messageType: MessageType.ChannelClosed,
      createdDate: 1,
      sequenceNumber: 0,
      messageId: nextId(),
      payloadType: 0,
      payload: Buffer.from('{"Output":"bye"}')
    });
    h.channel.receiveFrame(closed, 0);
    expect(h.control.map(m => m.messageType)).toEqual(['channel_closed']);
    expect(h.sent).toEqual([]);
  });

  it('throws SsmProtocolError for a malformed frame and keeps its state', () => {
    const h = harness();
    expect(() => h.channel.receiveFrame(Buffer.alloc(10), 0)).toThrow(
      SsmProtocolError
    );
    h.channel.receiveFrame(peerMessage(0), 0);
    expect(h.delivered.length).toBe(1);
  });
});

describe('ReliableChannel: sending', () => {
  it('leaves out of the window a message below the highest ack whose ack was lost, and still resends it', () => {
    const h = harness({ window: 2 });
    h.channel.send(PayloadType.Output, Buffer.from('a'), 0);
    h.channel.send(PayloadType.Output, Buffer.from('b'), 0);
    expect(h.channel.canSend()).toBe(false);
    // the ack of 0 was lost with a dropped connection; a plugin-like peer never acks its resend
    h.channel.acknowledge(1, 1);
    expect(h.channel.canSend()).toBe(true);
    h.channel.send(PayloadType.Output, Buffer.from('c'), 1);
    h.channel.send(PayloadType.Output, Buffer.from('d'), 1);
    expect(h.channel.canSend()).toBe(false);
    expect(h.channel.outstanding).toBe(3);
    h.sent.length = 0;
    h.channel.tick(10_000);
    expect(h.sent.some(m => m.sequenceNumber === 0)).toBe(true);
  });

  it('numbers messages from 0 and refuses empty payloads without using a number', () => {
    const h = harness();
    expect(h.channel.send(PayloadType.Output, data('a'), 0)).toBe(0);
    expect(() =>
      h.channel.send(PayloadType.Output, Buffer.alloc(0), 0)
    ).toThrow(SsmProtocolError);
    expect(h.channel.send(PayloadType.Output, data('b'), 0)).toBe(1);
    expect(dataSeqs(h)).toEqual([0, 1]);
  });

  it('ack removes the message and feeds the RTT sample', () => {
    const h = harness();
    h.channel.send(PayloadType.Output, data('a'), 1000);
    h.channel.receiveFrame(ackFrame(0), 1050);
    expect(h.channel.stats.inFlight).toBe(0);
    expect(h.channel.rto.rto).toBeCloseTo(143.75, 10);
    h.channel.receiveFrame(ackFrame(0), 1060);
    expect(h.channel.stats.unknownAcks).toBe(1);
    expect(h.channel.tick(5000)).toBe(false);
  });

  it('resends only the oldest unacked message, after RTO, with identical bytes', () => {
    const h = harness();
    [0, 1, 2].forEach(() => h.channel.send(PayloadType.Output, data('x'), 0));
    const original = h.raw[0];
    expect(h.channel.tick(100)).toBe(false);
    expect(h.channel.tick(200)).toBe(false); // not strictly more than RTO
    expect(h.channel.tick(201)).toBe(true);
    expect(dataSeqs(h)).toEqual([0, 1, 2, 0]);
    expect(h.raw[3]).toEqual(original);
    expect(h.channel.tick(301)).toBe(false); // timer restarted (agent)
    expect(h.channel.tick(402)).toBe(true);
    expect(dataSeqs(h)).toEqual([0, 1, 2, 0, 0]);
    h.channel.receiveFrame(ackFrame(0), 410);
    expect(h.channel.nextResendAt()).toBe(0 + h.channel.rto.rto);
    h.channel.tick(2000);
    expect(dataSeqs(h).slice(5)).toEqual([1]);
  });

  it('plugin mode resends every tick once overdue', () => {
    const h = harness({ updateLastSentOnResend: false });
    h.channel.send(PayloadType.Output, data('x'), 0);
    expect([201, 301, 401].map(t => h.channel.tick(t))).toEqual([
      true,
      true,
      true
    ]);
  });

  it('reports exhaustion once after maxResendAttempts', () => {
    const h = harness({ maxResendAttempts: 2 });
    h.channel.send(PayloadType.Output, data('x'), 0);
    const results = [1000, 2000, 3000, 4000].map(t => h.channel.tick(t));
    expect(results).toEqual([true, true, false, false]);
    expect(h.exhausted).toEqual([0]);
  });

  it('window blocks at the limit and reopens on ack', async () => {
    const h = harness({ window: 4 });
    for (let i = 0; i < 4; i++) {
      expect(h.channel.canSend()).toBe(true);
      h.channel.send(PayloadType.Output, data(`${i}`), 0);
    }
    expect(h.channel.canSend()).toBe(false);
    let opened = false;
    const wait = h.channel.whenCanSend().then(() => (opened = true));
    h.channel.send(PayloadType.Output, data('4'), 0); // beyond the window: queued
    expect(dataSeqs(h)).toEqual([0, 1, 2, 3]);
    expect(h.channel.stats.queued).toBe(1);
    h.channel.receiveFrame(ackFrame(3), 10);
    expect(dataSeqs(h)).toEqual([0, 1, 2, 3, 4]); // queued one released
    // 0-2 sit below the highest ack (their acks may be lost): only 4 counts now
    expect(h.channel.canSend()).toBe(true);
    expect(h.drains).toBe(1);
    expect(h.channel.outstanding).toBe(4);
    await wait;
    expect(opened).toBe(true);
  });

  it('refuses sends beyond the outgoing capacity', () => {
    const h = harness({ window: 2, outgoingCapacity: 3 });
    [0, 1, 2].forEach(() => h.channel.send(PayloadType.Output, data('x'), 0));
    let caught: unknown;
    try {
      h.channel.send(PayloadType.Output, data('x'), 0);
    } catch (e) {
      caught = e;
    }
    expect((caught as SsmProtocolError).code).toBe('OUTGOING_BUFFER_FULL');
  });

  it('pause_publication stops sending and resends; start_publication resumes', () => {
    const h = harness({ resumeOnPeerTraffic: false });
    h.channel.send(PayloadType.Output, data('a'), 0);
    const pub = (type: string): Buffer =>
      encodeClientMessage({
        messageType: type,
        createdDate: 1,
        sequenceNumber: 0,
        messageId: nextId(),
        payloadType: 0,
        payload: Buffer.alloc(0)
      });
    h.channel.receiveFrame(pub(MessageType.PausePublication), 0);
    expect(h.channel.isPaused).toBe(true);
    h.channel.send(PayloadType.Output, data('b'), 10);
    expect(h.channel.tick(1000)).toBe(false);
    h.channel.receiveFrame(peerMessage(0), 1000); // peer traffic ignored here
    expect(h.channel.isPaused).toBe(true);
    expect(dataSeqs(h)).toEqual([0]);
    h.channel.receiveFrame(pub(MessageType.StartPublication), 1100);
    expect(dataSeqs(h)).toEqual([0, 1]);
    expect(h.channel.tick(1101)).toBe(true);
    expect(dataSeqs(h)).toEqual([0, 1, 0]);
    expect(h.control.map(m => m.messageType)).toEqual([
      'pause_publication',
      'start_publication'
    ]);
  });

  it('peer traffic ends a pause by default (agent behaviour)', () => {
    const h = harness();
    h.channel.receiveFrame(
      encodeClientMessage({
        messageType: MessageType.PausePublication,
        createdDate: 1,
        sequenceNumber: 0,
        messageId: nextId(),
        payloadType: 0,
        payload: Buffer.alloc(0)
      }),
      0
    );
    h.channel.send(PayloadType.Output, data('a'), 0);
    expect(dataSeqs(h)).toEqual([]);
    h.channel.receiveFrame(peerMessage(0), 5);
    expect(h.channel.isPaused).toBe(false);
    expect(dataSeqs(h)).toEqual([0]);
  });

  it('reconnect resends every unacked message in order, then the queued ones', () => {
    const h = harness({ window: 3 });
    [0, 1, 2].forEach(() => h.channel.send(PayloadType.Output, data('x'), 0));
    h.channel.receiveFrame(ackFrame(1), 5);
    h.channel.transportDown();
    h.channel.send(PayloadType.Output, data('y'), 6);
    expect(h.channel.tick(5000)).toBe(false);
    h.channel.receiveFrame(peerMessage(0), 7); // no ack while down
    expect(acksOf(h)).toEqual([]);
    const before = h.sent.length;
    h.channel.transportUp(8000);
    expect(h.sent.slice(before).map(m => m.sequenceNumber)).toEqual([0, 2, 3]);
    expect(h.channel.stats.nextSequenceNumber).toBe(4);
    expect(h.channel.stats.expectedSequenceNumber).toBe(1);
    expect(h.channel.tick(8100)).toBe(false);
  });

  it('close rejects waiters and refuses sends', async () => {
    const h = harness({ window: 1 });
    h.channel.send(PayloadType.Output, data('x'), 0);
    const wait = h.channel.whenCanSend();
    h.channel.close();
    await expect(wait).rejects.toThrow(SsmProtocolError);
    expect(() => h.channel.send(PayloadType.Output, data('x'), 0)).toThrow(
      'the data channel is closed'
    );
  });

  it('works in the agent role against a client, end to end', () => {
    const toAgent: Buffer[] = [];
    const toClient: Buffer[] = [];
    const got: string[] = [];
    const client = new ReliableChannel(
      {
        transmit: f => toAgent.push(f),
        deliver: m => got.push(`c:${m.payload}`)
      },
      { window: 8 }
    );
    const agent = new ReliableChannel(
      {
        transmit: f => toClient.push(f),
        deliver: m => got.push(`a:${m.payload}`)
      },
      { role: 'agent', window: 8 }
    );
    for (let i = 0; i < 20; i++) {
      if (client.canSend()) {
        client.send(PayloadType.Output, data(`${i}`), i);
      }
      agent.send(PayloadType.Output, data(`${i}`), i);
      while (toAgent.length || toClient.length) {
        toAgent.splice(0).forEach(f => agent.receiveFrame(f, i));
        toClient.splice(0).forEach(f => client.receiveFrame(f, i));
      }
    }
    expect(got.filter(g => g.startsWith('a:')).length).toBe(20);
    expect(got.filter(g => g.startsWith('c:')).length).toBe(20);
    expect(client.outstanding + agent.outstanding).toBe(0);
  });
});
