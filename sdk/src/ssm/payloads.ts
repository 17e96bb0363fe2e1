/**
 * JSON and small binary payloads carried by data-channel messages
 * (reference §3–§5): acknowledgements, the handshake, channel_closed, Flag,
 * Size and agent_session_state. Parsers throw only {@link SsmProtocolError}.
 */
import { SsmProtocolError } from './errors.js';
import {
  type IClientMessage,
  type IClientMessageInit,
  MessageFlags,
  MessageType,
  PayloadType,
  newMessageId
} from './message.js';

/**
 * The ClientVersion we announce in the HandshakeResponse.
 *
 * The agent gates features on it (reference §6): smux multiplexing for port
 * forwarding needs ≥ 1.1.70, and the agent turns smux keep-alive off only
 * for > 1.2.331.0 (announcing an old or made-up version such as "1.2.0.0"
 * gets idle sessions killed after 30–60 s, plugin issues #39/#83/#93).
 * 1.2.792.0 is the newest released session-manager-plugin seen in public
 * sources (2026); we speak the same protocol, so we announce it.
 */
export const CLIENT_VERSION = '1.2.792.0';

/** Agent versions after which the plugin changes behaviour (plugin config). */
export const AgentFeatureVersion = {
  /** Flag TerminateSession understood after this agent version. */
  TerminateSessionFlag: '2.3.722.0',
  /** smux multiplexing for LocalPortForwarding after this agent version. */
  TcpMultiplexing: '3.0.196.0',
  /** smux keep-alive disabled after this agent version. */
  SmuxKeepAliveDisabled: '3.1.1511.0'
} as const;

/** Client versions the agent compares against (agent port plugin). */
export const ClientFeatureVersion = {
  /** smux multiplexing from this client version on (inclusive). */
  TcpMultiplexing: '1.1.70',
  /** smux keep-alive disabled after this client version. */
  SmuxKeepAliveDisabled: '1.2.331.0'
} as const;

/**
 * Compares dotted numeric versions component by component (missing
 * components count as 0, non-numeric ones as 0). Returns -1, 0 or 1.
 */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const x = Number.parseInt(left[i] ?? '0', 10) || 0;
    const y = Number.parseInt(right[i] ?? '0', 10) || 0;
    if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

function parseJson(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(
      Buffer.from(
        payload.buffer,
        payload.byteOffset,
        payload.byteLength
      ).toString('utf8')
    );
  } catch {
    throw new SsmProtocolError('BAD_PAYLOAD', `${what} payload is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      `${what} payload is not a JSON object`
    );
  }
  return value as Record<string, unknown>;
}

function field<T>(
  obj: Record<string, unknown>,
  name: string,
  type: 'string' | 'number' | 'boolean',
  what: string
): T {
  const value = obj[name];
  if (typeof value !== type) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      `${what} field ${name} is missing or not a ${type}`
    );
  }
  return value as T;
}

function toJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

// ---------------------------------------------------------------- acknowledge

/** JSON payload of an `acknowledge` message. */
export interface IAcknowledgeContent {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

/** Encodes an ack payload with the key order of AWS's Go struct (§9 V2). */
export function encodeAcknowledge(acked: {
  messageType: string;
  messageId: string;
  sequenceNumber: number;
}): Buffer {
  const content: IAcknowledgeContent = {
    AcknowledgedMessageType: acked.messageType,
    AcknowledgedMessageId: acked.messageId,
    AcknowledgedMessageSequenceNumber: acked.sequenceNumber,
    IsSequentialMessage: true
  };
  return toJson(content);
}

/** Parses an ack payload; `IsSequentialMessage` defaults to true if absent. */
export function parseAcknowledge(payload: Uint8Array): IAcknowledgeContent {
  const what = 'acknowledge';
  const obj = parseJson(payload, what);
  const seq = field<number>(
    obj,
    'AcknowledgedMessageSequenceNumber',
    'number',
    what
  );
  if (!Number.isSafeInteger(seq)) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      'acknowledged sequence number is not an integer'
    );
  }
  return {
    AcknowledgedMessageType: field<string>(
      obj,
      'AcknowledgedMessageType',
      'string',
      what
    ),
    AcknowledgedMessageId: field<string>(
      obj,
      'AcknowledgedMessageId',
      'string',
      what
    ),
    AcknowledgedMessageSequenceNumber: seq,
    IsSequentialMessage:
      typeof obj.IsSequentialMessage === 'boolean'
        ? obj.IsSequentialMessage
        : true
  };
}

/**
 * The acknowledgement of `acked` as AWS sends it (§4): type `acknowledge`,
 * sequence 0, flags 3, PayloadType 0, a fresh message id.
 */
export function acknowledgeMessage(
  acked: Pick<IClientMessage, 'messageType' | 'messageId' | 'sequenceNumber'>,
  createdDate: number,
  messageId: string = newMessageId()
): IClientMessageInit {
  return {
    messageType: MessageType.Acknowledge,
    createdDate,
    sequenceNumber: 0,
    flags: MessageFlags.SynFin,
    messageId,
    payloadType: PayloadType.None,
    payload: encodeAcknowledge(acked)
  };
}

// ------------------------------------------------------------------ handshake

/** ActionStatus of a processed client action. */
export const ActionStatus = {
  Success: 1,
  Failed: 2,
  Unsupported: 3
} as const;

/** Known ActionTypes of a handshake. */
export const ActionType = {
  SessionType: 'SessionType',
  KMSEncryption: 'KMSEncryption'
} as const;

/** One action the agent asks the client to perform. */
export interface IRequestedClientAction {
  ActionType: string;
  ActionParameters: unknown;
}

/** ActionParameters of a SessionType action. */
export interface ISessionTypeRequest {
  SessionType: string;
  Properties: unknown;
}

/** ActionParameters of a KMSEncryption action. */
export interface IKmsEncryptionRequest {
  KMSKeyId: string;
  Challenge?: string;
}

/** HandshakeRequest payload (PayloadType 5, agent → client). */
export interface IHandshakeRequest {
  AgentVersion: string;
  RequestedClientActions: IRequestedClientAction[];
}

/** One processed action in the client's reply. */
export interface IProcessedClientAction {
  ActionType: string;
  ActionStatus: number;
  ActionResult: unknown;
  Error: string;
}

/** HandshakeResponse payload (PayloadType 6, client → agent). */
export interface IHandshakeResponse {
  ClientVersion: string;
  ProcessedClientActions: IProcessedClientAction[];
  Errors: string[] | null;
}

/** HandshakeComplete payload (PayloadType 7, agent → client). */
export interface IHandshakeComplete {
  /** A Go time.Duration: integer nanoseconds. */
  HandshakeTimeToComplete: number;
  CustomerMessage: string;
}

/** Encodes a HandshakeRequest (agent side). */
export function encodeHandshakeRequest(request: IHandshakeRequest): Buffer {
  return toJson({
    AgentVersion: request.AgentVersion,
    RequestedClientActions: request.RequestedClientActions.map(a => ({
      ActionType: a.ActionType,
      ActionParameters: a.ActionParameters
    }))
  });
}

/** Parses a HandshakeRequest. */
export function parseHandshakeRequest(payload: Uint8Array): IHandshakeRequest {
  const what = 'HandshakeRequest';
  const obj = parseJson(payload, what);
  const actions = obj.RequestedClientActions;
  if (!Array.isArray(actions)) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      'HandshakeRequest has no RequestedClientActions list'
    );
  }
  return {
    AgentVersion: field<string>(obj, 'AgentVersion', 'string', what),
    RequestedClientActions: actions.map((a: unknown) => {
      if (typeof a !== 'object' || a === null) {
        throw new SsmProtocolError(
          'BAD_PAYLOAD',
          'HandshakeRequest action is not an object'
        );
      }
      const action = a as Record<string, unknown>;
      return {
        ActionType: field<string>(action, 'ActionType', 'string', what),
        ActionParameters: action.ActionParameters ?? null
      };
    })
  };
}

/** The SessionType an agent asks for, if any. */
export function requestedSessionType(
  request: IHandshakeRequest
): ISessionTypeRequest | undefined {
  const action = request.RequestedClientActions.find(
    a => a.ActionType === ActionType.SessionType
  );
  const params = action?.ActionParameters;
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const p = params as Record<string, unknown>;
  if (typeof p.SessionType !== 'string') {
    return undefined;
  }
  return { SessionType: p.SessionType, Properties: p.Properties ?? null };
}

/** Options of {@link buildHandshakeResponse}. */
export interface IHandshakeResponseOptions {
  /** Defaults to {@link CLIENT_VERSION}. */
  clientVersion?: string;
  /** SessionTypes this client can run; default: any. */
  supportedSessionTypes?: readonly string[];
  /**
   * Handles actions other than SessionType (e.g. KMSEncryption); return
   * undefined to report the action as unsupported.
   */
  processAction?: (
    action: IRequestedClientAction
  ) => IProcessedClientAction | undefined;
}

/**
 * The client's answer to a HandshakeRequest: SessionType succeeds (status 1,
 * result null, error ""), anything else goes to `processAction` or is
 * answered ActionStatus 3 Unsupported with its error also listed in
 * `Errors` (AWS's plugin writes status 0 and puts 3 into ActionResult, a
 * bug; the agent cancels the session for any status ≠ 1 either way).
 */
export function buildHandshakeResponse(
  request: IHandshakeRequest,
  options: IHandshakeResponseOptions = {}
): IHandshakeResponse {
  const errors: string[] = [];
  const processed = request.RequestedClientActions.map(
    (action): IProcessedClientAction => {
      if (action.ActionType === ActionType.SessionType) {
        const supported = options.supportedSessionTypes;
        const wanted = requestedSessionType(request)?.SessionType;
        if (supported && (!wanted || !supported.includes(wanted))) {
          const error = `Unsupported session type ${wanted ?? '(none)'}`;
          errors.push(error);
          return {
            ActionType: action.ActionType,
            ActionStatus: ActionStatus.Failed,
            ActionResult: null,
            Error: error
          };
        }
        return {
          ActionType: action.ActionType,
          ActionStatus: ActionStatus.Success,
          ActionResult: null,
          Error: ''
        };
      }
      const result = options.processAction?.(action);
      if (result) {
        if (result.Error) {
          errors.push(result.Error);
        }
        return result;
      }
      const error = `Unsupported action ${action.ActionType}`;
      errors.push(error);
      return {
        ActionType: action.ActionType,
        ActionStatus: ActionStatus.Unsupported,
        ActionResult: null,
        Error: error
      };
    }
  );
  return {
    ClientVersion: options.clientVersion ?? CLIENT_VERSION,
    ProcessedClientActions: processed,
    Errors: errors.length ? errors : null
  };
}

/** Encodes a HandshakeResponse with the Go struct's key order. */
export function encodeHandshakeResponse(response: IHandshakeResponse): Buffer {
  return toJson({
    ClientVersion: response.ClientVersion,
    ProcessedClientActions: response.ProcessedClientActions.map(a => ({
      ActionType: a.ActionType,
      ActionStatus: a.ActionStatus,
      ActionResult: a.ActionResult,
      Error: a.Error
    })),
    Errors: response.Errors
  });
}

/** Parses a HandshakeResponse (agent side). */
export function parseHandshakeResponse(
  payload: Uint8Array
): IHandshakeResponse {
  const what = 'HandshakeResponse';
  const obj = parseJson(payload, what);
  const actions = obj.ProcessedClientActions;
  if (!Array.isArray(actions)) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      'HandshakeResponse has no ProcessedClientActions list'
    );
  }
  const errors = obj.Errors;
  if (
    errors !== null &&
    errors !== undefined &&
    !(Array.isArray(errors) && errors.every(e => typeof e === 'string'))
  ) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      'HandshakeResponse Errors is not a list of strings'
    );
  }
  return {
    ClientVersion: field<string>(obj, 'ClientVersion', 'string', what),
    ProcessedClientActions: actions.map((a: unknown) => {
      if (typeof a !== 'object' || a === null) {
        throw new SsmProtocolError(
          'BAD_PAYLOAD',
          'HandshakeResponse action is not an object'
        );
      }
      const action = a as Record<string, unknown>;
      return {
        ActionType: field<string>(action, 'ActionType', 'string', what),
        ActionStatus: field<number>(action, 'ActionStatus', 'number', what),
        ActionResult: action.ActionResult ?? null,
        Error: typeof action.Error === 'string' ? action.Error : ''
      };
    }),
    Errors: (errors as string[] | null | undefined) ?? null
  };
}

/** Encodes a HandshakeComplete; the duration must be integer nanoseconds. */
export function encodeHandshakeComplete(complete: IHandshakeComplete): Buffer {
  if (!Number.isSafeInteger(complete.HandshakeTimeToComplete)) {
    throw new SsmProtocolError(
      'BAD_FIELD',
      'HandshakeTimeToComplete must be integer nanoseconds (a Go time.Duration)'
    );
  }
  return toJson({
    HandshakeTimeToComplete: complete.HandshakeTimeToComplete,
    CustomerMessage: complete.CustomerMessage
  });
}

/** Parses a HandshakeComplete. */
export function parseHandshakeComplete(
  payload: Uint8Array
): IHandshakeComplete {
  const what = 'HandshakeComplete';
  const obj = parseJson(payload, what);
  const ns = field<number>(obj, 'HandshakeTimeToComplete', 'number', what);
  if (!Number.isSafeInteger(ns)) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      'HandshakeTimeToComplete is not integer nanoseconds'
    );
  }
  return {
    HandshakeTimeToComplete: ns,
    CustomerMessage:
      typeof obj.CustomerMessage === 'string' ? obj.CustomerMessage : ''
  };
}

// -------------------------------------------------------------- channel_closed

/** JSON payload of `channel_closed`. */
export interface IChannelClosed {
  MessageId: string;
  /** A string, as the service sends it. */
  CreatedDate: string;
  DestinationId: string;
  SessionId: string;
  MessageType: string;
  SchemaVersion: number;
  /** Reason text; the plugin prints it. */
  Output: string;
}

/** Encodes a channel_closed payload (service emulation). */
export function encodeChannelClosed(closed: IChannelClosed): Buffer {
  return toJson({
    MessageId: closed.MessageId,
    CreatedDate: closed.CreatedDate,
    DestinationId: closed.DestinationId,
    SessionId: closed.SessionId,
    MessageType: closed.MessageType,
    SchemaVersion: closed.SchemaVersion,
    Output: closed.Output
  });
}

/** Parses channel_closed; absent fields become "" (or 1 for SchemaVersion). */
export function parseChannelClosed(payload: Uint8Array): IChannelClosed {
  const obj = parseJson(payload, 'channel_closed');
  const str = (name: string): string =>
    typeof obj[name] === 'string' ? (obj[name] as string) : '';
  return {
    MessageId: str('MessageId'),
    CreatedDate: str('CreatedDate'),
    DestinationId: str('DestinationId'),
    SessionId: str('SessionId'),
    MessageType: str('MessageType'),
    SchemaVersion:
      typeof obj.SchemaVersion === 'number' ? obj.SchemaVersion : 1,
    Output: str('Output')
  };
}

// ------------------------------------------------------------- Flag and Size

/** Encodes a Flag payload: u32 big-endian ({@link FlagValue}). */
export function encodeFlag(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new SsmProtocolError('BAD_FIELD', `flag ${value} is not a u32`);
  }
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(value, 0);
  return buf;
}

/** Parses a Flag payload; it must be exactly 4 bytes. */
export function parseFlag(payload: Uint8Array): number {
  if (payload.byteLength !== 4) {
    throw new SsmProtocolError(
      'BAD_PAYLOAD',
      `Flag payload has ${payload.byteLength} bytes, expected 4`
    );
  }
  return Buffer.from(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength
  ).readUInt32BE(0);
}

/** Terminal size payload (PayloadType 3, shell sessions). */
export interface ITerminalSize {
  cols: number;
  rows: number;
}

/** Encodes a Size payload. */
export function encodeSize(size: ITerminalSize): Buffer {
  return toJson({ cols: size.cols, rows: size.rows });
}

// -------------------------------------------------------- agent_session_state

/** JSON payload of `agent_session_state` (agent → service). */
export interface IAgentSessionState {
  SchemaVersion: number;
  SessionState: 'Connected' | 'Terminating' | string;
  SessionId: string;
}

/** Encodes an agent_session_state payload. */
export function encodeAgentSessionState(state: IAgentSessionState): Buffer {
  return toJson({
    SchemaVersion: state.SchemaVersion,
    SessionState: state.SessionState,
    SessionId: state.SessionId
  });
}

/** Parses an agent_session_state payload. */
export function parseAgentSessionState(
  payload: Uint8Array
): IAgentSessionState {
  const what = 'agent_session_state';
  const obj = parseJson(payload, what);
  return {
    SchemaVersion:
      typeof obj.SchemaVersion === 'number' ? obj.SchemaVersion : 1,
    SessionState: field<string>(obj, 'SessionState', 'string', what),
    SessionId: field<string>(obj, 'SessionId', 'string', what)
  };
}
