/**
 * The binary client message of the Session Manager data channel: one
 * WebSocket binary frame = one message (reference §3). All integers are
 * big-endian. The decoder is tolerant where AWS's parsers are (NUL or space
 * padding of the type, the ASCII-hex digest some third-party clients send);
 * the encoder writes exactly what AWS's Go serializer writes.
 */
import * as crypto from 'node:crypto';
import { createHash, randomUUID } from 'node:crypto';
import { SsmProtocolError } from './errors.js';

/** Value of the HeaderLength field: the offset of PayloadLength. */
export const HEADER_LENGTH = 116;
/** Bytes before the payload (HeaderLength + the PayloadLength field). */
export const MESSAGE_OVERHEAD = 120;
/** Width of the space-padded MessageType field. */
export const MESSAGE_TYPE_LENGTH = 32;
/** Schema version every party writes. */
export const SCHEMA_VERSION = 1;

/** Field offsets of the header. */
export const Offset = {
  HeaderLength: 0,
  MessageType: 4,
  SchemaVersion: 36,
  CreatedDate: 40,
  SequenceNumber: 48,
  Flags: 56,
  MessageId: 64,
  PayloadDigest: 80,
  PayloadType: 112,
  PayloadLength: 116,
  Payload: 120
} as const;

/** Message types of the data channel (the `MessageType` field). */
export const MessageType = {
  /** client → agent, sequenced */
  InputStreamData: 'input_stream_data',
  /** agent → client, sequenced */
  OutputStreamData: 'output_stream_data',
  /** both ways, never sequenced nor acknowledged */
  Acknowledge: 'acknowledge',
  /** service → party: the session ended */
  ChannelClosed: 'channel_closed',
  /** service → party: the other party became active */
  StartPublication: 'start_publication',
  /** service → party: the other party became inactive */
  PausePublication: 'pause_publication',
  /** agent → service: session state JSON */
  AgentSessionState: 'agent_session_state'
} as const;

/** One of the {@link MessageType} values. */
export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(MessageType));

/** Payload types (the `PayloadType` field); acknowledgements carry 0. */
export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12
} as const;

/** Bits of the `Flags` field as AWS sets them; nobody acts on them. */
export const MessageFlags = {
  None: 0,
  /** bit 0: the agent sets it on its sequence-0 stream message */
  Syn: 1,
  /** bit 1 */
  Fin: 2,
  /** SYN|FIN: acknowledgements and agent control messages */
  SynFin: 3
} as const;

/** Values of a Flag payload (PayloadType 10, u32 big-endian). */
export const FlagValue = {
  DisconnectToPort: 1,
  TerminateSession: 2,
  ConnectToPortError: 3
} as const;

/** A message to encode. */
export interface IClientMessageInit {
  messageType: string;
  /** Defaults to {@link SCHEMA_VERSION}. */
  schemaVersion?: number;
  /** Epoch milliseconds, > 0. */
  createdDate: number;
  sequenceNumber: number;
  /** Defaults to 0. */
  flags?: number;
  /** Lower- or upper-case hyphenated UUID. */
  messageId: string;
  payloadType: number;
  /** The payload, or its pieces (hashed and copied in order, no concat). */
  payload: Uint8Array | readonly Uint8Array[];
}

/**
 * How the PayloadDigest compared with SHA-256 of the payload:
 * `match` raw digest equal; `ascii-hex` the field holds the ASCII of the
 * first 32 hex characters of the digest (tolerated, a third-party client
 * writes it); `mismatch` neither (only in `report` mode); `skipped` not
 * checked (empty payload, start/pause_publication, or `ignore` mode).
 */
export type DigestStatus = 'match' | 'ascii-hex' | 'mismatch' | 'skipped';

/** A decoded message. `payload` and `payloadDigest` are views of the input. */
export interface IClientMessage {
  headerLength: number;
  /** Trimmed of NUL and whitespace at both ends. */
  messageType: string;
  schemaVersion: number;
  createdDate: number;
  sequenceNumber: number;
  /** Exact up to 2^53. */
  flags: number;
  /** Lower-case hyphenated UUID, halves swapped back into UUID order. */
  messageId: string;
  payloadDigest: Buffer;
  payloadType: number;
  /** The PayloadLength field as sent. */
  payloadLength: number;
  /** Bytes after the header (what AWS's readers take). */
  payload: Buffer;
  digest: DigestStatus;
}

/** Decoder switches; the defaults are the strict, plugin-like checks. */
export interface IDecodeOptions {
  /**
   * `verify` (default): throw on a digest that is neither raw SHA-256 nor the
   * tolerated ASCII-hex form, as the plugin does; `report`: never throw on
   * the digest, say `mismatch`; `ignore`: do not hash (the agent never checks).
   */
  digest?: 'verify' | 'report' | 'ignore';
  /** Accept types other than {@link MessageType} (printable ASCII). */
  allowUnknownTypes?: boolean;
  /** Accept a PayloadLength that disagrees with the bytes (AWS readers ignore it). */
  ignorePayloadLength?: boolean;
}

const TWO_32 = 4294967296;
const SAFE_HI = 0x200000; // 2^21: |hi| below this keeps hi * 2^32 + lo exact
const UUID_RE =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TYPE_RE = /^[\x21-\x7e]{1,32}$/;

type OneShotHash = (
  algorithm: string,
  data: Uint8Array,
  outputEncoding: 'buffer'
) => Buffer;
/** crypto.hash (Node 20.12+): a third cheaper than createHash for the small payloads of acks. */
const oneShotHash = (crypto as unknown as { hash?: OneShotHash }).hash;

function sha256(data: Uint8Array): Buffer {
  return oneShotHash
    ? oneShotHash('sha256', data, 'buffer')
    : createHash('sha256').update(data).digest();
}

/** A fresh random (v4) message id. */
export function newMessageId(): string {
  return randomUUID();
}

/** True for the two sequenced stream types. */
export function isStreamDataType(type: string): boolean {
  return (
    type === MessageType.InputStreamData ||
    type === MessageType.OutputStreamData
  );
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isPad(b: number): boolean {
  // NUL, space and the ASCII whitespace Go's strings.TrimSpace removes
  return b === 0 || b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** Reads a UUID stored with its 8-byte halves swapped (reference §3). */
export function readMessageId(buf: Buffer, offset: number): string {
  const hex =
    buf.toString('hex', offset + 8, offset + 16) +
    buf.toString('hex', offset, offset + 8);
  return (
    hex.slice(0, 8) +
    '-' +
    hex.slice(8, 12) +
    '-' +
    hex.slice(12, 16) +
    '-' +
    hex.slice(16, 20) +
    '-' +
    hex.slice(20)
  );
}

/** Writes a UUID with its 8-byte halves swapped (reference §3). */
export function writeMessageId(buf: Buffer, offset: number, id: string): void {
  if (!UUID_RE.test(id)) {
    throw new SsmProtocolError(
      'BAD_MESSAGE_ID',
      `message id "${id}" is not a hyphenated UUID`
    );
  }
  const hex = id.replace(/-/g, '');
  buf.write(hex.slice(16), offset, 8, 'hex');
  buf.write(hex.slice(0, 16), offset + 8, 8, 'hex');
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeUInt32BE(hi, offset);
  buf.writeUInt32BE(value - hi * TWO_32, offset + 4);
}

function checkInteger(
  name: string,
  value: number,
  min: number,
  max: number
): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new SsmProtocolError(
      'BAD_FIELD',
      `${name} ${value} is not an integer in [${min}, ${max}]`
    );
  }
}

/**
 * Encodes a message. Strict: the type must be 1–32 printable ASCII
 * characters, numbers must fit their fields, the id must be a UUID and
 * stream data (`input_stream_data`/`output_stream_data`) must not be empty
 * (AWS's serializer cannot encode it and the agent drops it).
 *
 * @throws SsmProtocolError on any of the above.
 */
export function encodeClientMessage(message: IClientMessageInit): Buffer {
  const { messageType, payload } = message;
  if (!TYPE_RE.test(messageType)) {
    throw new SsmProtocolError(
      'BAD_MESSAGE_TYPE',
      `message type "${messageType}" is not 1-32 printable ASCII characters`
    );
  }
  const schemaVersion = message.schemaVersion ?? SCHEMA_VERSION;
  const flags = message.flags ?? 0;
  checkInteger('SchemaVersion', schemaVersion, 0, 0xffffffff);
  checkInteger('CreatedDate', message.createdDate, 1, Number.MAX_SAFE_INTEGER);
  checkInteger(
    'SequenceNumber',
    message.sequenceNumber,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER
  );
  checkInteger('Flags', flags, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('PayloadType', message.payloadType, 0, 0xffffffff);

  const pieces: readonly Uint8Array[] =
    payload instanceof Uint8Array ? [payload] : payload;
  let length = 0;
  for (const piece of pieces) {
    length += piece.byteLength;
  }
  if (length === 0 && isStreamDataType(messageType)) {
    throw new SsmProtocolError(
      'EMPTY_PAYLOAD',
      `${messageType} must not carry an empty payload`
    );
  }
  if (length > 0xffffffff - MESSAGE_OVERHEAD) {
    throw new SsmProtocolError('BAD_FIELD', 'payload too large');
  }

  const buf = Buffer.allocUnsafe(MESSAGE_OVERHEAD + length);
  buf.writeUInt32BE(HEADER_LENGTH, Offset.HeaderLength);
  buf.fill(0x20, Offset.MessageType, Offset.SchemaVersion);
  buf.write(messageType, Offset.MessageType, 'latin1');
  buf.writeUInt32BE(schemaVersion, Offset.SchemaVersion);
  writeU64(buf, Offset.CreatedDate, message.createdDate);
  if (message.sequenceNumber >= 0) {
    writeU64(buf, Offset.SequenceNumber, message.sequenceNumber);
  } else {
    buf.writeBigInt64BE(BigInt(message.sequenceNumber), Offset.SequenceNumber);
  }
  writeU64(buf, Offset.Flags, flags);
  writeMessageId(buf, Offset.MessageId, message.messageId);
  let at = Offset.Payload;
  for (const piece of pieces) {
    buf.set(piece, at);
    at += piece.byteLength;
  }
  sha256(buf.subarray(Offset.Payload)).copy(buf, Offset.PayloadDigest);
  buf.writeUInt32BE(message.payloadType, Offset.PayloadType);
  buf.writeUInt32BE(length, Offset.PayloadLength);
  return buf;
}

function digestStatus(
  field: Buffer,
  payload: Buffer,
  mode: 'verify' | 'report'
): DigestStatus {
  const sum = sha256(payload);
  if (sum.equals(field)) {
    return 'match';
  }
  if (field.equals(Buffer.from(sum.toString('hex', 0, 16), 'latin1'))) {
    return 'ascii-hex';
  }
  if (mode === 'report') {
    return 'mismatch';
  }
  throw new SsmProtocolError(
    'DIGEST_MISMATCH',
    'payload digest does not match the payload'
  );
}

/**
 * Decodes one message. Never reads outside `bytes` and never throws anything
 * but {@link SsmProtocolError}: too short, HeaderLength ≠ 116, empty or
 * unknown type, a sequence number beyond 2^53, PayloadLength disagreeing with
 * the bytes, CreatedDate 0 or a bad digest (these last two are skipped for
 * start/pause_publication, and the digest only when the payload is
 * non-empty, as AWS's plugin does).
 *
 * The returned `payload` is a view of `bytes` (no copy).
 */
export function decodeClientMessage(
  bytes: Uint8Array,
  options: IDecodeOptions = {}
): IClientMessage {
  const buf = asBuffer(bytes);
  if (buf.length < MESSAGE_OVERHEAD) {
    throw new SsmProtocolError(
      'SHORT_MESSAGE',
      `message of ${buf.length} bytes is shorter than its ${MESSAGE_OVERHEAD}-byte header`
    );
  }
  const headerLength = buf.readUInt32BE(Offset.HeaderLength);
  if (headerLength !== HEADER_LENGTH) {
    throw new SsmProtocolError(
      'BAD_HEADER_LENGTH',
      `HeaderLength is ${headerLength}, expected ${HEADER_LENGTH}`
    );
  }
  let start = Offset.MessageType;
  let end = Offset.SchemaVersion;
  while (start < end && isPad(buf[start])) {
    start++;
  }
  while (end > start && isPad(buf[end - 1])) {
    end--;
  }
  const messageType = buf.toString('latin1', start, end);
  if (!KNOWN_TYPES.has(messageType)) {
    if (messageType.length === 0 || !TYPE_RE.test(messageType)) {
      throw new SsmProtocolError(
        'BAD_MESSAGE_TYPE',
        'MessageType is empty or not printable ASCII'
      );
    }
    if (!options.allowUnknownTypes) {
      throw new SsmProtocolError(
        'UNKNOWN_MESSAGE_TYPE',
        `unknown message type "${messageType}"`
      );
    }
  }
  const seqHi = buf.readInt32BE(Offset.SequenceNumber);
  if (seqHi >= SAFE_HI || seqHi < -SAFE_HI) {
    throw new SsmProtocolError(
      'BAD_SEQUENCE_NUMBER',
      'SequenceNumber is beyond 2^53'
    );
  }
  const sequenceNumber =
    seqHi * TWO_32 + buf.readUInt32BE(Offset.SequenceNumber + 4);
  const createdDate =
    buf.readUInt32BE(Offset.CreatedDate) * TWO_32 +
    buf.readUInt32BE(Offset.CreatedDate + 4);
  const flags =
    buf.readUInt32BE(Offset.Flags) * TWO_32 +
    buf.readUInt32BE(Offset.Flags + 4);
  const payloadLength = buf.readUInt32BE(Offset.PayloadLength);
  const payload = buf.subarray(Offset.Payload);
  if (payloadLength !== payload.length && !options.ignorePayloadLength) {
    throw new SsmProtocolError(
      'LENGTH_MISMATCH',
      `PayloadLength says ${payloadLength} bytes, the message holds ${payload.length}`
    );
  }
  const payloadDigest = buf.subarray(Offset.PayloadDigest, Offset.PayloadType);
  let digest: DigestStatus = 'skipped';
  const publication =
    messageType === MessageType.StartPublication ||
    messageType === MessageType.PausePublication;
  if (!publication) {
    if (createdDate === 0) {
      throw new SsmProtocolError('MISSING_CREATED_DATE', 'CreatedDate is 0');
    }
    const mode = options.digest ?? 'verify';
    if (mode !== 'ignore' && payload.length !== 0 && payloadLength !== 0) {
      digest = digestStatus(payloadDigest, payload, mode);
    }
  }
  return {
    headerLength,
    messageType,
    schemaVersion: buf.readUInt32BE(Offset.SchemaVersion),
    createdDate,
    sequenceNumber,
    flags,
    messageId: readMessageId(buf, Offset.MessageId),
    payloadDigest,
    payloadType: buf.readUInt32BE(Offset.PayloadType),
    payloadLength,
    payload,
    digest
  };
}
