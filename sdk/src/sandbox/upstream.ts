/**
 * The sandbox's way to the service behind it (moto): a raw relay of a request (method, path, headers and body as
 * they came; the answer's status, headers and body as they come back), and a small AWS JSON 1.1 client for the
 * calls a sandbox front makes itself (e.g. "does this domain exist?").
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse
} from 'node:http';
import { AwsServiceError, type ICallContext } from './aws-json-server.js';

/** Headers that belong to one hop and are not relayed. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer'
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name, value]) => value !== undefined && !HOP_BY_HOP.has(name)
    )
  );
}

function unreachable(upstream: string, error: Error): AwsServiceError {
  return new AwsServiceError(
    'ServiceUnavailable',
    `the sandbox could not reach ${upstream}: ${error.message}`,
    503
  );
}

/**
 * Relays `request` to `upstream` (a base URL) and its answer back to `response`. `body` is the request body when it
 * was already read; otherwise the request is streamed. Rejects with an AwsServiceError only when nothing was sent
 * back yet.
 */
export function relay(
  request: IncomingMessage,
  response: ServerResponse,
  upstream: string,
  body?: Buffer
): Promise<void> {
  const target = new URL(request.url ?? '/', upstream);
  const headers = endToEnd(request.headers);
  headers.host = target.host;
  if (body) {
    headers['content-length'] = body.length;
  }
  return new Promise<void>((resolve, reject) => {
    const outgoing = httpRequest(
      target,
      { method: request.method, headers },
      answer => {
        response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(response);
        answer.once('end', resolve);
        answer.once('error', error => {
          response.destroy(error);
          resolve();
        });
      }
    );
    outgoing.once('error', error =>
      response.headersSent
        ? (response.destroy(error), resolve())
        : reject(unreachable(upstream, error))
    );
    if (body) {
      outgoing.end(body);
    } else {
      request.pipe(outgoing);
    }
  });
}

/** The error an AWS JSON 1.1 answer carries (`__type` may be namespaced, e.g. `com.amazonaws…#Name`). */
function errorOf(
  status: number,
  text: string,
  target: string
): AwsServiceError {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const type = String(body.__type ?? 'InternalFailure');
    const message = body.message ?? body.Message ?? '';
    return new AwsServiceError(
      type.slice(type.lastIndexOf('#') + 1),
      String(message),
      status
    );
  } catch {
    return new AwsServiceError(
      'InternalFailure',
      `${target} answered ${status} with a body that is not JSON`,
      status >= 500 ? status : 500
    );
  }
}

/** A JSON 1.1 client of the upstream for calls the sandbox makes on behalf of a caller (same credentials). */
export class JsonUpstream {
  constructor(readonly url: string) {}

  /** Calls `<target>` (e.g. `SageMaker.DescribeDomain`) as `call`'s caller; AWS errors are thrown as they come. */
  async call(
    target: string,
    input: Record<string, unknown>,
    call: ICallContext
  ): Promise<Record<string, unknown>> {
    let answer: Response;
    try {
      answer = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': target,
          ...(call.authorization ? { authorization: call.authorization } : {})
        },
        body: JSON.stringify(input)
      });
    } catch (error) {
      throw unreachable(this.url, error as Error);
    }
    const text = await answer.text();
    if (!answer.ok) {
      throw errorOf(answer.status, text, target);
    }
    return text.length === 0
      ? {}
      : (JSON.parse(text) as Record<string, unknown>);
  }
}
