import { OperationError, SmSshError, UsageError } from '../errors.js';

/** The service's error code (`NoSuchEntity`, `AccessDenied`, …) or the JS error name. */
export function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const named = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const value of [named.Code, named.name, named.code]) {
      if (typeof value === 'string' && value !== 'Error') {
        return value;
      }
    }
  }
  return 'Error';
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

const CREDENTIAL_PROBLEMS: Record<string, string> = {
  ExpiredToken: 'the AWS credentials have expired',
  ExpiredTokenException: 'the AWS credentials have expired',
  InvalidClientTokenId: 'AWS does not recognise the access key',
  UnrecognizedClientException: 'AWS does not recognise the access key',
  SignatureDoesNotMatch:
    'AWS rejected the request signature (wrong secret key?)'
};

/**
 * Turns an error thrown by an AWS SDK call into one of ours, with a one-line message and a hint.
 * `doing` says what we were doing, e.g. "reading role MyRole".
 */
export function describeAwsError(error: unknown, doing: string): SmSshError {
  if (error instanceof SmSshError) {
    return error;
  }
  const name = errorName(error);
  const message = messageOf(error);
  if (
    name === 'CredentialsProviderError' ||
    /Could not load credentials/i.test(message)
  ) {
    return new UsageError(
      'no AWS credentials found',
      'configure them (aws configure, --profile NAME or AWS_PROFILE); in SageMaker the execution role provides them'
    );
  }
  if (name in CREDENTIAL_PROBLEMS) {
    return new UsageError(
      `${CREDENTIAL_PROBLEMS[name]} while ${doing}`,
      'refresh your credentials (e.g. aws sso login) or choose another --profile'
    );
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name)) {
    return new OperationError(
      `access denied while ${doing}: ${message}`,
      'ask an administrator for the permission named above'
    );
  }
  const code = (error as { code?: unknown })?.code;
  if (
    code === 'ENOTFOUND' ||
    code === 'ECONNREFUSED' ||
    code === 'ETIMEDOUT' ||
    code === 'EAI_AGAIN'
  ) {
    return new OperationError(
      `cannot reach AWS while ${doing} (${String(code)})`,
      'check the network, the region, and any AWS_ENDPOINT_URL_* variables'
    );
  }
  return new OperationError(`${doing} failed: ${name}: ${message}`);
}
