/**
 * A minimal server side of the AWS JSON 1.1 protocol (`X-Amz-Target: <Service>.<Operation>`, JSON bodies, errors as
 * `{"__type": …, "message": …}` with `x-amzn-errortype`), so the real AWS SDK can talk to sandbox services through
 * the standard `AWS_ENDPOINT_URL_<SERVICE>` variables. Signatures are accepted, not verified; the region and the
 * access key are read from the SigV4 `Authorization` header. A service with an upstream (moto) hands it, unchanged,
 * the operations it does not implement and those its operations answer with FORWARD. Query-protocol calls (STS, IAM:
 * a form body, no X-Amz-Target) go to the query upstream as they came. Every call is counted (`calls`, and
 * `GET /_sandbox/calls`; `DELETE` there resets), whoever answers it.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CallCounter, type ICallCounts } from './call-counter.js';
import {
  isQueryRequest,
  queryAction,
  queryServiceName,
  sendQueryError
} from './query-protocol.js';
import { relay } from './upstream.js';

/** An error the sandbox answers with, in the shape AWS uses. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** Members of the error shape besides the message, e.g. `queryCompileError`. */
    readonly fields: Record<string, unknown> = {}
  ) {
    super(message);
  }
}

/** Who is calling, as far as the sandbox can tell from the request. */
export interface ICallContext {
  region: string;
  accessKeyId?: string;
  /** The account the sandbox attributes the call to. */
  account: string;
  /** The caller's Authorization header, for calls the sandbox makes upstream on its behalf. */
  authorization?: string;
}

/** What an operation returns to hand its request, unchanged, to the service's upstream. */
export const FORWARD: unique symbol = Symbol('forward');

export type JsonOperation = (
  input: Record<string, unknown>,
  call: ICallContext
) => unknown;

export interface IJsonService {
  /** The prefix of X-Amz-Target, e.g. `AmazonSSM`. */
  targetPrefix: string;
  /** The service's name in the call counts, e.g. `SSM` (default: the target prefix). */
  name?: string;
  operations: Record<string, JsonOperation>;
  /** Base URL of the service that answers what this one does not implement (moto). */
  upstream?: string;
}

export interface IJsonServerOptions {
  host?: string;
  port?: number;
  account?: string;
  defaultRegion?: string;
  /** Base URL that answers query-protocol calls (STS, IAM: moto); without it they are refused. */
  queryUpstream?: string;
  /** Takes HTTP upgrades (WebSockets); returns false for paths it does not serve, which are refused. */
  upgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

export interface IRunningServer {
  url: string;
  port: number;
  /** The calls clients made to this server. */
  calls: ICallCounts;
  close(): Promise<void>;
}

/** Where the call counts are served. */
export const CALLS_PATH = '/_sandbox/calls';

const MAX_BODY_BYTES = 1024 * 1024;
/** `Credential=<access key>/<date>/<region>/<service>/aws4_request` of a SigV4 Authorization header. */
const CREDENTIAL_SCOPE =
  /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\//;

interface IServerSettings {
  account: string;
  defaultRegion: string;
  queryUpstream?: string;
  calls: CallCounter;
}

function credentialScope(request: IncomingMessage): {
  accessKeyId?: string;
  region?: string;
  service?: string;
} {
  const scope = CREDENTIAL_SCOPE.exec(request.headers.authorization ?? '');
  return { accessKeyId: scope?.[1], region: scope?.[2], service: scope?.[3] };
}

function callContext(
  request: IncomingMessage,
  account: string,
  defaultRegion: string
): ICallContext {
  const scope = credentialScope(request);
  return {
    region: scope.region ?? defaultRegion,
    accessKeyId: scope.accessKeyId,
    account,
    authorization: request.headers.authorization
  };
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  errorType?: string
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {})
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: AwsServiceError): void {
  send(
    response,
    error.statusCode,
    { ...error.fields, __type: error.code, message: error.message },
    error.code
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new AwsServiceError(
        'SerializationException',
        'request body is larger than 1 MiB',
        413
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `GET /_sandbox/calls` reads the counts; `DELETE` answers with them and starts again from zero. */
function serveCalls(
  request: IncomingMessage,
  response: ServerResponse,
  calls: CallCounter
): void {
  if (request.method !== 'GET' && request.method !== 'DELETE') {
    throw new AwsServiceError(
      'MethodNotAllowed',
      `${request.method} ${CALLS_PATH} is not supported; GET reads the counts, DELETE resets them`,
      405
    );
  }
  send(response, 200, calls.report());
  if (request.method === 'DELETE') {
    calls.reset();
  }
}

/** A query-protocol call: counted by its Action and relayed to the query upstream; errors in its XML shape. */
async function handleQuery(
  request: IncomingMessage,
  response: ServerResponse,
  settings: IServerSettings
): Promise<void> {
  try {
    const body = await readBody(request);
    const action = queryAction(body);
    if (!action) {
      throw new AwsServiceError(
        'MissingAction',
        'the request has neither an X-Amz-Target header nor an Action'
      );
    }
    const service = queryServiceName(credentialScope(request).service);
    settings.calls.count(service, action);
    if (!settings.queryUpstream) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `the sandbox answers ${service} ${action} only through moto, which it did not start`
      );
    }
    await relay(request, response, settings.queryUpstream, body);
  } catch (error) {
    if (!(error instanceof AwsServiceError) || response.headersSent) {
      throw error;
    }
    sendQueryError(response, error);
  }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  services: IJsonService[],
  settings: IServerSettings
): Promise<void> {
  if (new URL(request.url ?? '/', 'http://sandbox').pathname === CALLS_PATH) {
    serveCalls(request, response, settings.calls);
    return;
  }
  if (request.method === 'GET') {
    send(response, 200, {
      sandbox: 'sm-ssh',
      services: services.map(service => service.targetPrefix),
      calls: CALLS_PATH
    });
    return;
  }
  if (isQueryRequest(request)) {
    await handleQuery(request, response, settings);
    return;
  }
  if (request.method !== 'POST') {
    throw new AwsServiceError(
      'MethodNotAllowed',
      `${request.method} is not supported; AWS JSON 1.1 uses POST`,
      405
    );
  }
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.includes('.')) {
    throw new AwsServiceError(
      'MissingAction',
      'the X-Amz-Target header is missing'
    );
  }
  const [prefix, operation] = target.split('.', 2);
  const service = services.find(candidate => candidate.targetPrefix === prefix);
  settings.calls.count(service?.name ?? prefix, operation);
  const handler = service?.operations[operation];
  if (!handler && service?.upstream) {
    await relay(request, response, service.upstream);
    return;
  }
  if (!handler) {
    throw new AwsServiceError(
      'UnknownOperationException',
      `the sandbox does not implement ${target}`
    );
  }
  const body = await readBody(request);
  const text = body.toString('utf8');
  let input: unknown;
  try {
    input = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AwsServiceError(
      'SerializationException',
      'the request body is not JSON'
    );
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new AwsServiceError(
      'SerializationException',
      'the request body must be a JSON object'
    );
  }
  const output: unknown = await handler(
    input as Record<string, unknown>,
    callContext(request, settings.account, settings.defaultRegion)
  );
  if (output === FORWARD) {
    if (!service?.upstream) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `the sandbox answers this ${target} only through moto, which it did not start`
      );
    }
    await relay(request, response, service.upstream, body);
    return;
  }
  send(response, 200, output ?? {});
}

/** Serves the given services on one loopback port (port 0 picks a free one). */
export async function startJsonServer(
  services: IJsonService[],
  options: IJsonServerOptions = {}
): Promise<IRunningServer> {
  const settings: IServerSettings = {
    account: options.account ?? '123456789012',
    defaultRegion: options.defaultRegion ?? 'us-east-1',
    queryUpstream: options.queryUpstream,
    calls: new CallCounter()
  };
  const server: Server = createServer((request, response) => {
    handle(request, response, services, settings).catch((error: unknown) => {
      const serviceError =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError(
              'InternalServerError',
              error instanceof Error ? error.message : String(error),
              500
            );
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendError(response, serviceError);
    });
  });
  // Node's 5 s idle timeout races a client whose event loop is busy (tslab type-checks a cell synchronously): the
  // SDK reuses the closed socket and the call fails with ECONNRESET. AWS's endpoints keep idle connections longer.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on(
    'upgrade',
    (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!options.upgrade?.(request, socket, head)) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      }
    }
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    calls: settings.calls,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
  };
}
