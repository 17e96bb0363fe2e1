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
    throw tooLarge();
  }
  // not `for await`: leaving that loop early destroys the request, and with it the socket the answer goes on
  const chunks: Buffer[] = [];
  const fits = await new Promise<boolean>((resolve, reject) => {
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.off('data', onData);
        request.pause();
        resolve(false);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(true));
    request.once('error', reject);
  });
  if (!fits) {
    throw tooLarge();
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

const DRAIN_LIMIT_BYTES = 1024 * 1024;
const DRAIN_TIMEOUT_MS = 5000;

/**
 * Reads what is left of the request body before an answer goes out. A server that answers (and so closes) while
 * the client still sends makes a proxy in front fail with a broken pipe: jupyter-server-proxy then gives the browser
 * its own 500 page instead of our JSON. Up to 1 MiB or 5 s: more than that is not a request worth waiting for.
 */
export async function drainBody(request: IncomingMessage): Promise<void> {
  if (request.complete || request.readableEnded || request.destroyed) {
    return;
  }
  await new Promise<void>(resolve => {
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      request.off('data', count);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    const count = (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        done();
      }
    };
    const timer = setTimeout(done, DRAIN_TIMEOUT_MS);
    request.on('data', count);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
    request.resume();
  });
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
