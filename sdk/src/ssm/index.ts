/**
 * The transport-agnostic core of the Session Manager data channel
 * (see shared reference "ssm-data-channel"): a binary message codec, the
 * JSON payloads, the RTO estimator, a sans-IO reliable-channel state
 * machine with an ack-clocked send window, and smux v1. No sockets and no
 * timers live here; the WebSocket session and the sandbox agent are built
 * on top.
 *
 * Every malformed input raises {@link SsmProtocolError} and nothing else.
 *
 * @packageDocumentation
 */
export { SsmProtocolError, type SsmProtocolErrorCode } from './errors.js';
export {
  FlagValue,
  HEADER_LENGTH,
  MESSAGE_OVERHEAD,
  MESSAGE_TYPE_LENGTH,
  MessageFlags,
  MessageType,
  Offset,
  PayloadType,
  SCHEMA_VERSION,
  decodeClientMessage,
  encodeClientMessage,
  isStreamDataType,
  newMessageId,
  readMessageId,
  writeMessageId,
  type DigestStatus,
  type IClientMessage,
  type IClientMessageInit,
  type IDecodeOptions,
  type MessageTypeName
} from './message.js';
export {
  ActionStatus,
  ActionType,
  AgentFeatureVersion,
  CLIENT_VERSION,
  ClientFeatureVersion,
  acknowledgeMessage,
  buildHandshakeResponse,
  compareVersions,
  encodeAcknowledge,
  encodeAgentSessionState,
  encodeChannelClosed,
  encodeFlag,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeSize,
  parseAcknowledge,
  parseAgentSessionState,
  parseChannelClosed,
  parseFlag,
  parseHandshakeComplete,
  parseHandshakeRequest,
  parseHandshakeResponse,
  requestedSessionType,
  type IAcknowledgeContent,
  type IAgentSessionState,
  type IChannelClosed,
  type IHandshakeComplete,
  type IHandshakeRequest,
  type IHandshakeResponse,
  type IHandshakeResponseOptions,
  type IKmsEncryptionRequest,
  type IProcessedClientAction,
  type IRequestedClientAction,
  type ISessionTypeRequest,
  type ITerminalSize
} from './payloads.js';
export {
  CLOCK_GRANULARITY_MS,
  INITIAL_RTO_MS,
  INITIAL_RTTVAR_MS,
  INITIAL_SRTT_MS,
  MAX_RTO_MS,
  RtoEstimator,
  type IRtoState
} from './rto.js';
export {
  DEFAULT_BUFFER_CAPACITY,
  DEFAULT_WINDOW,
  RESEND_INTERVAL_MS,
  ReliableChannel,
  type IReliableChannelOptions,
  type IReliableChannelSink,
  type IReliableChannelStats
} from './reliability.js';
export {
  SMUX_HEADER_SIZE,
  SMUX_MAX_FRAME_SIZE,
  SMUX_MAX_RECEIVE_BUFFER,
  SMUX_VERSION,
  SmuxCommand,
  SmuxFrameParser,
  SmuxSession,
  decodeSmuxFrames,
  encodeSmuxFrame,
  encodeSmuxHeader,
  type ISmuxFrame,
  type ISmuxParserHandler,
  type ISmuxSessionOptions,
  type ISmuxSessionSink,
  type ISmuxStats
} from './smux.js';
export {
  DataChannelError,
  DataChannelSession,
  type DataChannelErrorCode,
  type IDataChannelSessionOptions,
  type IResumeResult
} from './session.js';
export {
  DataChannelTransport,
  upgradeHeaders,
  type IOpenDataChannelMessage,
  type ITransportOptions
} from './ws-transport.js';
export {
  assertInstanceId,
  PortDocument,
  startPortSession,
  type IPortSessionRequest
} from './start.js';
export {
  HIGH_WATER_BYTES,
  MuxStreams,
  SMUX_KEEPALIVE,
  type IMuxKeepAlive,
  type IMuxTransport
} from './mux-streams.js';
export { openPortStreams } from './port-streams.js';
export {
  openStream,
  PortStreamPool,
  type IOpenStreamOptions,
  type IStreamPoolOptions
} from './open-stream.js';
export { sessionDuplex } from './session-duplex.js';
