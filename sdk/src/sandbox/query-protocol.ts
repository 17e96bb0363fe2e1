/**
 * The AWS query protocol as far as the sandbox needs it to relay STS and IAM to moto and count their calls: the
 * request is a form body (`Action=GetCallerIdentity&Version=…`) without X-Amz-Target, the service is the one the
 * SigV4 credential scope names, and errors are XML.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsServiceError } from './aws-json-server.js';

/** How the call counts name query-protocol services, by SigV4 signing name. */
const SERVICE_NAMES: Record<string, string> = { sts: 'STS', iam: 'IAM' };

const FORM = 'application/x-www-form-urlencoded';

/** Whether a request without X-Amz-Target is a query-protocol call (a form POST). */
export function isQueryRequest(request: IncomingMessage): boolean {
  return (
    request.method === 'POST' &&
    request.headers['x-amz-target'] === undefined &&
    (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM)
  );
}

/** The `Action` of a query-protocol body, if it has one. */
export function queryAction(body: Buffer): string | undefined {
  return new URLSearchParams(body.toString('utf8')).get('Action') || undefined;
}

/** The counted name of a service from its SigV4 signing name (`sts` → `STS`); unknown names are kept as they are. */
export function queryServiceName(signingName: string | undefined): string {
  if (!signingName) {
    return 'unsigned';
  }
  return SERVICE_NAMES[signingName] ?? signingName;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    char =>
      ({
        '<': '&lt;',
        '>': '&gt;',
        '&': '&amp;',
        "'": '&apos;',
        '"': '&quot;'
      })[char] as string
  );
}

/** An error in the query protocol's shape, which the SDK's STS and IAM clients parse. */
export function sendQueryError(
  response: ServerResponse,
  error: AwsServiceError
): void {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  const text =
    '<ErrorResponse><Error>' +
    `<Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    '</Error><RequestId>sandbox</RequestId></ErrorResponse>';
  response.writeHead(error.statusCode, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text)
  });
  response.end(text);
}
