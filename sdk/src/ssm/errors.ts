import { SmSshError } from '../errors.js';

/**
 * What was wrong with a frame or a call, as a stable machine-readable code.
 *
 * Codec codes describe malformed input from the wire; the `*_FULL`, `WINDOW`
 * and `SMUX_STREAM_*` codes describe a state-machine call that cannot be
 * honoured (for example writing more than the outgoing buffer holds).
 */
export type SsmProtocolErrorCode =
  | 'SHORT_MESSAGE'
  | 'BAD_HEADER_LENGTH'
  | 'BAD_MESSAGE_TYPE'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'MISSING_CREATED_DATE'
  | 'BAD_SEQUENCE_NUMBER'
  | 'LENGTH_MISMATCH'
  | 'DIGEST_MISMATCH'
  | 'BAD_MESSAGE_ID'
  | 'EMPTY_PAYLOAD'
  | 'BAD_FIELD'
  | 'BAD_PAYLOAD'
  | 'OUTGOING_BUFFER_FULL'
  | 'CHANNEL_CLOSED'
  | 'SMUX_BAD_VERSION'
  | 'SMUX_BAD_COMMAND'
  | 'SMUX_FRAME_TOO_LARGE'
  | 'SMUX_TRUNCATED'
  | 'SMUX_STREAM_UNKNOWN'
  | 'SMUX_STREAM_CLOSED'
  | 'SMUX_STREAM_IDS_EXHAUSTED';

/**
 * The only error the `ssm` codecs and state machines throw on purpose.
 *
 * It extends {@link SmSshError} (exit code 1, an operation failure rather than
 * bad user input) so the CLI and the bridge report it like every other SDK
 * error; `code` tells callers what went wrong without parsing the message.
 * The decoders guarantee they never throw anything else, whatever the bytes.
 */
export class SsmProtocolError extends SmSshError {
  /** Machine-readable reason. */
  readonly code: SsmProtocolErrorCode;

  constructor(code: SsmProtocolErrorCode, message: string, hint?: string) {
    super(
      message,
      hint ??
        'The Session Manager data channel carried a frame this client cannot use; retry, and report it if it repeats.',
      1
    );
    this.code = code;
  }
}
