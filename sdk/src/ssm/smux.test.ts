import { SsmProtocolError } from './errors.js';
import {
  SmuxCommand,
  SmuxFrameParser,
  SmuxSession,
  decodeSmuxFrames,
  encodeSmuxFrame,
  type ISmuxSessionSink
} from './smux.js';

interface IEnd {
  session: SmuxSession;
  out: Buffer[];
  events: string[];
}

function end(role: 'client' | 'server', maxFrameSize?: number): IEnd {
  const e: IEnd = {
    session: undefined as unknown as SmuxSession,
    out: [],
    events: []
  };
  const sink: ISmuxSessionSink = {
    transmit: (header, body) =>
      e.out.push(body ? Buffer.concat([header, body]) : header),
    accept: id => e.events.push(`accept ${id}`),
    end: id => e.events.push(`end ${id}`)
  };
  e.session = new SmuxSession(sink, { role, maxFrameSize });
  return e;
}

const wire = (e: IEnd): Buffer => Buffer.concat(e.out.splice(0));

describe('smux frames: §9 vectors', () => {
  it.each([
    ['SYN sid 3', SmuxCommand.SYN, 3, undefined, '0100000003000000'],
    ['PSH "hi"', SmuxCommand.PSH, 3, Buffer.from('hi'), '01020200030000006869'],
    ['FIN sid 3', SmuxCommand.FIN, 3, undefined, '0101000003000000'],
    ['NOP', SmuxCommand.NOP, 0, undefined, '0103000000000000']
  ])('%s', (_, cmd, sid, data, hex) => {
    expect(encodeSmuxFrame(cmd, sid, data).toString('hex')).toBe(hex);
    const [frame] = decodeSmuxFrames(Buffer.from(hex, 'hex'));
    expect(frame.cmd).toBe(cmd);
    expect(frame.streamId).toBe(sid);
    expect(frame.data.toString()).toBe(data?.toString() ?? '');
  });

  it('uses little-endian length and stream id', () => {
    const f = encodeSmuxFrame(
      SmuxCommand.PSH,
      0x01020304,
      Buffer.alloc(0x0102)
    );
    expect(f.subarray(0, 8).toString('hex')).toBe('0102020104030201');
  });

  it.each([
    ['version 2', '0200000003000000', 'SMUX_BAD_VERSION'],
    ['command 4 (UPD is v2)', '0104000003000000', 'SMUX_BAD_COMMAND'],
    ['truncated header', '01000000', 'SMUX_TRUNCATED'],
    ['truncated data', '010205000300000068', 'SMUX_TRUNCATED']
  ])('refuses %s', (_, hex, code) => {
    let caught: unknown;
    try {
      decodeSmuxFrames(Buffer.from(hex, 'hex'));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SsmProtocolError);
    expect((caught as SsmProtocolError).code).toBe(code);
  });

  it('poisons the parser after a framing error', () => {
    const p = new SmuxFrameParser({
      frame: () => undefined,
      data: () => undefined
    });
    expect(() => p.push(Buffer.from('0900000000000000', 'hex'))).toThrow(
      SsmProtocolError
    );
    expect(() => p.push(Buffer.from('0103000000000000', 'hex'))).toThrow(
      SsmProtocolError
    );
  });

  it('refuses to encode data on non-PSH frames or more than 65535 bytes', () => {
    expect(() => encodeSmuxFrame(SmuxCommand.SYN, 3, Buffer.from('x'))).toThrow(
      SsmProtocolError
    );
    expect(() =>
      encodeSmuxFrame(SmuxCommand.PSH, 3, Buffer.alloc(65536))
    ).toThrow(SsmProtocolError);
  });
});

describe('smux session', () => {
  it('client opens 3, 5, 7; server accepts; data both ways; FIN both ways', () => {
    const client = end('client');
    const server = end('server');
    expect([client.session.openStream(), client.session.openStream()]).toEqual([
      3, 5
    ]);
    client.session.write(3, Buffer.from('hello'));
    server.session.receive(wire(client));
    expect(server.events).toEqual(['accept 3', 'accept 5']);
    expect(Buffer.concat(server.session.read(3)).toString()).toBe('hello');
    expect(server.session.bufferedBytes).toBe(0);

    server.session.write(3, Buffer.from('world'));
    server.session.closeStream(3);
    client.session.receive(wire(server));
    expect(client.events).toEqual(['end 3']);
    expect(client.session.isRemoteClosed(3)).toBe(true);
    expect(Buffer.concat(client.session.read(3)).toString()).toBe('world');
    expect(server.session.hasStream(3)).toBe(false);

    client.session.closeStream(3);
    expect(wire(client).toString('hex')).toBe('0101000003000000');
    expect(client.session.streamIds()).toEqual([5]);
  });

  it('server-opened streams use even ids and the client accepts them', () => {
    const server = end('server');
    const client = end('client');
    expect(server.session.openStream()).toBe(2);
    client.session.receive(wire(server));
    expect(client.events).toEqual(['accept 2']);
  });

  it('cuts writes into PSH frames of at most maxFrameSize', () => {
    const client = end('client');
    const id = client.session.openStream();
    client.out.length = 0;
    const data = Buffer.alloc(32768 * 2 + 5, 7);
    client.session.write(id, data);
    const frames = decodeSmuxFrames(wire(client));
    expect(frames.map(f => f.data.length)).toEqual([32768, 32768, 5]);
    expect(
      frames.every(f => f.cmd === SmuxCommand.PSH && f.streamId === 3)
    ).toBe(true);
  });

  it('reassembles frames split at every byte boundary', () => {
    const client = end('client');
    client.session.openStream();
    client.session.write(3, Buffer.from('abcdef'));
    client.session.openStream();
    client.session.write(5, Buffer.from('XY'));
    client.session.closeStream(3);
    const bytes = wire(client);
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) {
        const server = end('server');
        server.session.receive(bytes.subarray(0, a));
        server.session.receive(bytes.subarray(a, b));
        server.session.receive(bytes.subarray(b));
        expect(server.events).toEqual(['accept 3', 'accept 5', 'end 3']);
        expect(Buffer.concat(server.session.read(3)).toString()).toBe('abcdef');
        expect(Buffer.concat(server.session.read(5)).toString()).toBe('XY');
      }
    }
  });

  it('accepts NOP, ignores duplicate SYN and drops data for unknown streams', () => {
    const server = end('server');
    server.session.receive(
      Buffer.concat([
        encodeSmuxFrame(SmuxCommand.NOP, 0),
        encodeSmuxFrame(SmuxCommand.SYN, 3),
        encodeSmuxFrame(SmuxCommand.SYN, 3),
        encodeSmuxFrame(SmuxCommand.PSH, 9, Buffer.from('lost')),
        encodeSmuxFrame(SmuxCommand.FIN, 9)
      ])
    );
    expect(server.events).toEqual(['accept 3']);
    expect(server.session.stats).toMatchObject({
      nopsIn: 1,
      droppedBytes: 4,
      streams: 1
    });
    expect(server.out).toEqual([]); // keep-alive off: we never send NOP
  });

  it('stops wanting input when maxReceiveBuffer bytes wait unread', () => {
    const sink = { transmit: () => undefined };
    const s = new SmuxSession(sink, { role: 'server', maxReceiveBuffer: 10 });
    s.receive(encodeSmuxFrame(SmuxCommand.SYN, 3));
    s.receive(encodeSmuxFrame(SmuxCommand.PSH, 3, Buffer.alloc(6)));
    expect(s.wantsInput()).toBe(true);
    s.receive(encodeSmuxFrame(SmuxCommand.PSH, 3, Buffer.alloc(6)));
    expect(s.wantsInput()).toBe(false);
    expect(s.readableLength(3)).toBe(12);
    s.read(3);
    expect(s.wantsInput()).toBe(true);
  });

  it('refuses writes to unknown streams and use after close', () => {
    const client = end('client');
    expect(() => client.session.write(3, Buffer.from('x'))).toThrow(
      SsmProtocolError
    );
    client.session.close();
    expect(() => client.session.openStream()).toThrow(SsmProtocolError);
  });
});
