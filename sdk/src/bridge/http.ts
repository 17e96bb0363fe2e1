/** Reading JSON request bodies (at most 64 KiB) and writing JSON responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, errorBody, HttpError } from './errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = () =>
  new HttpError(
    413,
    'bad-request',
    `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`,
    'send a smaller JSON document'
  );

/** The request's body parsed as JSON (an empty body is `{}`). */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    return {};
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest(
      'the request body is not JSON',
      'send a JSON object with Content-Type: application/json'
    );
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body?: unknown
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  if (body === undefined) {
    response.writeHead(status, { 'cache-control': 'no-store' });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: HttpError): void {
  sendJson(response, error.status, errorBody(error));
}
