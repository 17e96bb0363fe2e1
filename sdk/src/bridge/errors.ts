/**
 * Errors as the bridge answers them: a status and an `IBridgeError` body. SDK errors keep their one-line message
 * and hint; AWS SDK errors become one line through describeAwsError; anything else is a 500 with its first line.
 * A body never carries a stack trace.
 */
import { describeAwsError, errorName } from '../aws/errors.js';
import { SmSshError, UsageError } from '../errors.js';
import { HostKeyChangedError } from '../ssh/connect.js';
import type { IBridgeError } from './types.js';

export type BridgeErrorCode = NonNullable<IBridgeError['code']>;

/** An error with the HTTP status and code the bridge answers with. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: BridgeErrorCode;
  readonly hint?: string;

  constructor(
    status: number,
    code: BridgeErrorCode,
    message: string,
    hint?: string
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

export const badRequest = (message: string, hint?: string) =>
  new HttpError(400, 'bad-request', message, hint);

export const notFound = (message: string, hint?: string) =>
  new HttpError(404, 'not-found', message, hint);

export const conflict = (message: string, hint?: string) =>
  new HttpError(409, 'conflict', message, hint);

export const forbidden = (message: string) =>
  new HttpError(
    403,
    'forbidden',
    message,
    'reload JupyterLab (its XSRF cookie may have changed) and try again'
  );

/** The UsageErrors of resolution that mean "no such target" (the SDK has no subclass for them). */
const NOT_FOUND = /^(there is no |no managed instance )/;
/** describeAwsError's credential problems (missing, expired, unknown key, bad signature). */
const NO_CREDENTIALS =
  /^(no AWS credentials found|the AWS credentials have expired|AWS does not recognise the access key|AWS rejected the request signature)/;
const ACCESS_DENIED = /^access denied while /;

function isAwsError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ('$metadata' in error || errorName(error) === 'CredentialsProviderError')
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim() || 'unexpected error';
}

function fromSdk(error: SmSshError): HttpError {
  const { message, hint } = error;
  if (NO_CREDENTIALS.test(message)) {
    return new HttpError(401, 'no-credentials', message, hint);
  }
  if (ACCESS_DENIED.test(message)) {
    return new HttpError(403, 'access-denied', message, hint);
  }
  if (error instanceof UsageError) {
    return NOT_FOUND.test(message)
      ? notFound(message, hint)
      : badRequest(message, hint);
  }
  if (error instanceof HostKeyChangedError) {
    return conflict(message, hint);
  }
  return new HttpError(502, 'failed', message, hint);
}

/** The HttpError an error is answered with; `doing` names the operation for AWS errors ("listing targets"). */
export function toHttpError(error: unknown, doing = 'calling AWS'): HttpError {
  if (error instanceof HttpError) {
    return error;
  }
  if (error instanceof SmSshError) {
    return fromSdk(error);
  }
  if (isAwsError(error)) {
    return fromSdk(describeAwsError(error, doing));
  }
  return new HttpError(
    500,
    'failed',
    `internal error while ${doing}: ${firstLine(error)}`,
    'run sm-ssh serve with --verbose and report it if it persists'
  );
}

/** The JSON body of an error. */
export function errorBody(error: HttpError): IBridgeError {
  return {
    error: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    code: error.code
  };
}
