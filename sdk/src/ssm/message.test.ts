import { createHash } from 'node:crypto';
import { SmSshError } from '../errors.js';
import { SsmProtocolError } from './errors.js';
import {
  FlagValue,
  MessageType,
  PayloadType,
  decodeClientMessage,
  encodeClientMessage,
  type IClientMessageInit
} from './message.js';
import { acknowledgeMessage, parseFlag, encodeFlag } from './payloads.js';

const CREATED = 1700000000000;
const ID_V1 = 'dd01e56b-ff48-483e-a508-b5f073f31b16';
const ID_V3 = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff';

const V1_HEX =
  '00000074' +
  '696e7075745f73747265616d5f64617461' +
  '20'.repeat(15) +
  '00000001' +
  '0000018bcfe56800' +
  '0000000000000000' +
  '0000000000000000' +
  'a508b5f073f31b16dd01e56bff48483e' +
  '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' +
  '00000001' +
  '00000005' +
  '68656c6c6f';

const V3_HEX =
  '00000074696e7075745f73747265616d5f64617461202020202020202020202020202020000000010000018bcfe56800000000000000000500000000000000008695a4b3c2d1e0ff0f1e2d3c4b5a4978433ebf5bc03dffa38536673207a21281612cef5faa9bc7a4d5b9be2fdb12cf1a0000000a0000000400000002';

const V2_PAYLOAD =
  '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}';

// bertrandmartel/aws-ssm-session src/ssm.js: a Size message with a
// NUL-left-padded type, flags 1, unswapped id and an ASCII-hex digest.
const TOLERANCE_SAMPLE = Buffer.from([
  0x00, 0x00, 0x00, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x5f, 0x73,
  0x74, 0x72, 0x65, 0x61, 0x6d, 0x5f, 0x64, 0x61, 0x74, 0x61, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x5b, 0x37, 0xe2, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x73,
  0x0f, 0x66, 0x49, 0x14, 0x53, 0x4e, 0x2a, 0x9f, 0x01, 0xa3, 0x7d, 0xbf, 0xfe,
  0xfc, 0xe1, 0x65, 0x34, 0x34, 0x33, 0x36, 0x35, 0x62, 0x39, 0x35, 0x31, 0x31,
  0x36, 0x32, 0x65, 0x64, 0x61, 0x36, 0x34, 0x61, 0x63, 0x65, 0x66, 0x64, 0x32,
  0x37, 0x35, 0x37, 0x32, 0x32, 0x30, 0x39, 0x65, 0x00, 0x00, 0x00, 0x03, 0x00,
  0x00, 0x00, 0x16, 0x7b, 0x22, 0x63, 0x6f, 0x6c, 0x73, 0x22, 0x3a, 0x32, 0x30,
  0x32, 0x2c, 0x22, 0x72, 0x6f, 0x77, 0x73, 0x22, 0x3a, 0x31, 0x38, 0x7d
]);

function v1(): IClientMessageInit {
  return {
    messageType: MessageType.InputStreamData,
    createdDate: CREATED,
    sequenceNumber: 0,
    flags: 0,
    messageId: ID_V1,
    payloadType: PayloadType.Output,
    payload: Buffer.from('hello')
  };
}

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SsmProtocolError);
  expect(caught).toBeInstanceOf(SmSshError);
  expect((caught as SsmProtocolError).code).toBe(code);
}

describe('message codec: §9 vectors', () => {
  it('V1 encodes byte for byte (125 B) and decodes back', () => {
    const bytes = encodeClientMessage(v1());
    expect(bytes.length).toBe(125);
    expect(bytes.toString('hex')).toBe(V1_HEX);
    const m = decodeClientMessage(bytes);
    expect(m).toMatchObject({
      headerLength: 116,
      messageType: 'input_stream_data',
      schemaVersion: 1,
      createdDate: CREATED,
      sequenceNumber: 0,
      flags: 0,
      messageId: ID_V1,
      payloadType: 1,
      payloadLength: 5,
      digest: 'match'
    });
    expect(m.payload.toString()).toBe('hello');
  });

  it('V3 Flag TerminateSession encodes byte for byte (124 B)', () => {
    const bytes = encodeClientMessage({
      messageType: MessageType.InputStreamData,
      createdDate: CREATED,
      sequenceNumber: 5,
      messageId: ID_V3,
      payloadType: PayloadType.Flag,
      payload: encodeFlag(FlagValue.TerminateSession)
    });
    expect(bytes.length).toBe(124);
    expect(bytes.toString('hex')).toBe(V3_HEX);
    const m = decodeClientMessage(Buffer.from(V3_HEX, 'hex'));
    expect(m.sequenceNumber).toBe(5);
    expect(m.messageId).toBe(ID_V3);
    expect(parseFlag(m.payload)).toBe(FlagValue.TerminateSession);
  });

  it('V2 ack of output seq 0: length, payload, digest and envelope', () => {
    const bytes = encodeClientMessage(
      acknowledgeMessage(
        {
          messageType: MessageType.OutputStreamData,
          messageId: ID_V1,
          sequenceNumber: 0
        },
        CREATED,
        ID_V3
      )
    );
    expect(bytes.length).toBe(296);
    expect(bytes.subarray(120).toString()).toBe(V2_PAYLOAD);
    expect(bytes.readUInt32BE(116)).toBe(176);
    expect(bytes.subarray(80, 112).toString('hex')).toBe(
      '713a0a17057de630213f7292907ce38462812ea213a29366f537f68c6ab60e85'
    );
    expect(bytes.toString('latin1', 4, 36)).toBe(
      'acknowledge' + ' '.repeat(21)
    );
    expect(bytes.readBigUInt64BE(48)).toBe(0n);
    expect(bytes.readBigUInt64BE(56)).toBe(3n);
    expect(bytes.readUInt32BE(112)).toBe(0);
    const m = decodeClientMessage(bytes);
    expect(m.messageId).toBe(ID_V3);
    expect(m.digest).toBe('match');
  });

  it('stores the UUID with its 8-byte halves swapped', () => {
    const bytes = encodeClientMessage(v1());
    const uuid = Buffer.from(ID_V1.replace(/-/g, ''), 'hex');
    expect(bytes.subarray(64, 72)).toEqual(uuid.subarray(8, 16));
    expect(bytes.subarray(72, 80)).toEqual(uuid.subarray(0, 8));
  });
});

describe('message codec: round trips', () => {
  it.each([
    [0, 0],
    [1, 1],
    [2 ** 32 + 7, 3],
    [Number.MAX_SAFE_INTEGER, 2 ** 40],
    [-1, 0],
    [-(2 ** 40), 1]
  ])('sequence %p, flags %p', (sequenceNumber, flags) => {
    const init: IClientMessageInit = {
      ...v1(),
      messageType: MessageType.OutputStreamData,
      sequenceNumber,
      flags,
      createdDate: Date.UTC(2026, 0, 1),
      messageId: '01234567-89AB-4CDE-8F01-23456789abcd',
      payloadType: PayloadType.StdErr,
      payload: [Buffer.from('ab'), new Uint8Array([0, 255]), Buffer.alloc(0)]
    };
    const m = decodeClientMessage(encodeClientMessage(init));
    expect(m.sequenceNumber).toBe(sequenceNumber);
    expect(m.flags).toBe(flags);
    expect(m.createdDate).toBe(init.createdDate);
    expect(m.messageId).toBe('01234567-89ab-4cde-8f01-23456789abcd');
    expect(m.payloadType).toBe(PayloadType.StdErr);
    expect([...m.payload]).toEqual([0x61, 0x62, 0, 255]);
    expect(m.digest).toBe('match');
  });

  it('returns the payload as a view of the input, not a copy', () => {
    const bytes = encodeClientMessage(v1());
    const m = decodeClientMessage(bytes);
    expect(m.payload.buffer).toBe(bytes.buffer);
    expect(m.payload.byteOffset).toBe(bytes.byteOffset + 120);
  });

  it('accepts a plain Uint8Array', () => {
    const bytes = new Uint8Array(encodeClientMessage(v1()));
    expect(decodeClientMessage(bytes).payload.toString()).toBe('hello');
  });
});

describe('message codec: tolerance sample', () => {
  it('decodes the NUL-padded, ASCII-hex-digest Size message', () => {
    expect(TOLERANCE_SAMPLE.length).toBe(142);
    const m = decodeClientMessage(TOLERANCE_SAMPLE);
    expect(m.messageType).toBe('input_stream_data');
    expect(m.flags).toBe(1);
    expect(m.payloadType).toBe(PayloadType.Size);
    expect(m.digest).toBe('ascii-hex');
    expect(JSON.parse(m.payload.toString())).toEqual({ cols: 202, rows: 18 });
  });

  it('trims NUL and whitespace on both ends of the type', () => {
    const bytes = encodeClientMessage(v1());
    bytes.fill(0, 4, 36);
    bytes.write('\t input_stream_data\0', 6, 'latin1');
    expect(decodeClientMessage(bytes).messageType).toBe('input_stream_data');
  });
});

describe('message codec: malformed input', () => {
  const good = (): Buffer => encodeClientMessage(v1());

  it.each([0, 1, 4, 119])('refuses %i bytes as SHORT_MESSAGE', n => {
    expectCode(
      () => decodeClientMessage(good().subarray(0, n)),
      'SHORT_MESSAGE'
    );
  });

  it.each([0, 115, 117, 0xffffffff])('refuses HeaderLength %i', hl => {
    const b = good();
    b.writeUInt32BE(hl, 0);
    expectCode(() => decodeClientMessage(b), 'BAD_HEADER_LENGTH');
  });

  it('refuses an unknown type unless allowed', () => {
    const b = good();
    b.fill(0x20, 4, 36);
    b.write('interactive_shell', 4, 'latin1');
    expectCode(() => decodeClientMessage(b), 'UNKNOWN_MESSAGE_TYPE');
    expect(
      decodeClientMessage(b, { allowUnknownTypes: true }).messageType
    ).toBe('interactive_shell');
  });

  it.each([
    ['empty', ''],
    ['non-printable', 'in\x01put']
  ])('refuses an %s type', (_, type) => {
    const b = good();
    b.fill(0, 4, 36);
    b.write(type, 4, 'latin1');
    expectCode(
      () => decodeClientMessage(b, { allowUnknownTypes: true }),
      'BAD_MESSAGE_TYPE'
    );
  });

  it('refuses a digest mismatch, or reports it, or ignores it', () => {
    const b = good();
    b[80] ^= 1;
    expectCode(() => decodeClientMessage(b), 'DIGEST_MISMATCH');
    expect(decodeClientMessage(b, { digest: 'report' }).digest).toBe(
      'mismatch'
    );
    expect(decodeClientMessage(b, { digest: 'ignore' }).digest).toBe('skipped');
    const payloadFlip = good();
    payloadFlip[124] ^= 0x20;
    expectCode(() => decodeClientMessage(payloadFlip), 'DIGEST_MISMATCH');
  });

  it.each([0, 4, 6, 0xffffffff])('refuses PayloadLength lie %i', n => {
    const b = good();
    b.writeUInt32BE(n, 116);
    expectCode(() => decodeClientMessage(b), 'LENGTH_MISMATCH');
    expect(
      decodeClientMessage(b, { ignorePayloadLength: true }).payload.toString()
    ).toBe('hello');
  });

  it('refuses truncated or extended payloads (length lies by the bytes)', () => {
    expectCode(
      () => decodeClientMessage(good().subarray(0, 124)),
      'LENGTH_MISMATCH'
    );
    expectCode(
      () => decodeClientMessage(Buffer.concat([good(), Buffer.from('!')])),
      'LENGTH_MISMATCH'
    );
  });

  it('refuses CreatedDate 0', () => {
    const b = good();
    b.fill(0, 40, 48);
    expectCode(() => decodeClientMessage(b), 'MISSING_CREATED_DATE');
  });

  it('refuses a sequence number beyond 2^53', () => {
    const b = good();
    b.writeBigInt64BE(2n ** 62n, 48);
    expectCode(() => decodeClientMessage(b), 'BAD_SEQUENCE_NUMBER');
  });

  it('skips date and digest checks for start/pause_publication, like the plugin', () => {
    for (const type of ['start_publication', 'pause_publication']) {
      const b = good();
      b.fill(0x20, 4, 36);
      b.write(type, 4, 'latin1');
      b.fill(0, 40, 48);
      b[80] ^= 0xff;
      const m = decodeClientMessage(b);
      expect(m.messageType).toBe(type);
      expect(m.digest).toBe('skipped');
    }
  });

  it('does not check the digest of an empty payload', () => {
    const b = encodeClientMessage({
      ...v1(),
      messageType: MessageType.ChannelClosed,
      payload: Buffer.alloc(0)
    });
    b.fill(7, 80, 112);
    expect(decodeClientMessage(b).digest).toBe('skipped');
  });
});

describe('message codec: strict encoder', () => {
  it.each(['input_stream_data', 'output_stream_data'])(
    'refuses an empty %s payload',
    type => {
      expectCode(
        () => encodeClientMessage({ ...v1(), messageType: type, payload: [] }),
        'EMPTY_PAYLOAD'
      );
    }
  );

  it('encodes an empty payload for non-stream types', () => {
    const b = encodeClientMessage({
      ...v1(),
      messageType: MessageType.StartPublication,
      payload: Buffer.alloc(0)
    });
    expect(b.length).toBe(120);
    expect(b.subarray(80, 112)).toEqual(
      createHash('sha256').update(Buffer.alloc(0)).digest()
    );
  });

  it.each([
    ['messageType', ''],
    ['messageType', 'has space'],
    ['messageType', 'x'.repeat(33)]
  ])('refuses %s %p', (key, value) => {
    expectCode(
      () => encodeClientMessage({ ...v1(), [key]: value }),
      'BAD_MESSAGE_TYPE'
    );
  });

  it.each([
    ['createdDate', 0],
    ['createdDate', 1.5],
    ['sequenceNumber', 2 ** 53],
    ['flags', -1],
    ['payloadType', 2 ** 32],
    ['schemaVersion', -1]
  ])('refuses %s %p', (key, value) => {
    expectCode(
      () => encodeClientMessage({ ...v1(), [key]: value }),
      'BAD_FIELD'
    );
  });

  it('refuses a message id that is not a UUID', () => {
    expectCode(
      () => encodeClientMessage({ ...v1(), messageId: 'not-a-uuid' }),
      'BAD_MESSAGE_ID'
    );
  });
});
