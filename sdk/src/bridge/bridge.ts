/**
 * `startBridge`: the HTTP server of the bridge API and its WebSocket, wired from the small parts: server (where it
 * listens), router + api (routes), guard (XSRF, Origin), errors (SDK error → status), targets, tunnels, space
 * operations, job releases and finished jobs, events, studio.
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { releaseJob } from '../jobs/release.js';
import { enableRemoteAccess } from '../spaces/enable.js';
import { statePaths } from '../ssh/paths.js';
import { apiRouter, VERSION } from './api.js';
import { clientChoice, ClientPool } from './clients.js';
import { badRequest, forbidden, notFound, toHttpError } from './errors.js';
import { EventHub, refuseUpgrade } from './events.js';
import { normalOrigin, originProblem, xsrfProblem } from './guard.js';
import { drainBody, sendError, sendJson } from './http.js';
import {
  FinishedJobs,
  JobReleases,
  type JobEndReader,
  type JobReleaser
} from './jobs.js';
import { requestPath } from './router.js';
import { listen, type IListening, type ListenTarget } from './server.js';
import {
  readStudioMetadata,
  resourceMetadataPath,
  studioOrigin
} from './studio.js';
import { TargetsCache, type TargetLister } from './targets.js';
import { SpaceOperations, type RemoteAccessEnabler } from './spaces.js';
import { TunnelRegistry } from './tunnels.js';

export const DEFAULT_REFRESH_SECONDS = 15;
export const MIN_REFRESH_SECONDS = 2;

export interface IBridgeOptions {
  /** Listen on this unix socket (made 0600) instead of a port. */
  socketPath?: string;
  /** Loopback port (0, the default, picks a free one). */
  port?: number;
  /** 127.0.0.1 (default), ::1 or localhost: nothing else is accepted. */
  host?: string;
  /** Default region and profile (requests may pick others with `?region=&profile=`). */
  region?: string;
  profile?: string;
  /** Roles of the setup check (default: $SM_SSH_SAGEMAKER_ROLE, $SM_SSH_USER_ROLE, Studio's execution role, the caller's). */
  sagemakerRoleArn?: string;
  userRoleArn?: string;
  /** The Studio case of the setup check even without Studio's metadata file. */
  studio?: boolean;
  /** How often watched targets are listed again (default 15 s, at least 2). */
  refreshSeconds?: number;
  /** Where keys and pins live (default: the config folder, as the CLI's --config-dir). */
  configDir?: string;
  /** An existing private key instead of the one sm-ssh keeps. */
  identityFile?: string;
  /** Studio's resource metadata (default $SM_SSH_RESOURCE_METADATA or /opt/ml/metadata/resource-metadata.json). */
  resourceMetadata?: string;
  /** The argv that runs sm-ssh (default: node and this package's CLI). */
  smSshCommand?: string[];
  /** How often WebSocket clients are pinged; one that has not answered the previous ping is dropped (default 30 s). */
  pingIntervalMs?: number;
  /** One line per request (method, path, status, ms): what --verbose prints. Never headers or bodies. */
  log?: (line: string) => void;
  /** How targets are listed (default the SDK's listTargets). */
  lister?: TargetLister;
  /** How remote access is turned on for a space (default the SDK's enableRemoteAccess). */
  enableRemoteAccess?: RemoteAccessEnabler;
  /** How a job's wait is ended (default the SDK's releaseJob). */
  releaseJob?: JobReleaser;
  /** How the final status of a finished job is read (default DescribeTrainingJob / DescribeProcessingJob). */
  readJobEnd?: JobEndReader;
  /**
   * Origins whose pages may open the event stream besides the request's own host (default $SM_SSH_ALLOW_ORIGINS,
   * comma-separated; in Studio the domain's origin is added).
   */
  allowOrigins?: string[];
  /** Environment for the role defaults and the metadata path (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface IBridge extends IListening {
  /** Closes the WebSockets, tunnels and SSH connections, then the server. */
  close(): Promise<void>;
}

function defaultCommand(): string[] {
  return [
    process.execPath,
    fileURLToPath(new URL('../cli/main.js', import.meta.url))
  ];
}

/** The allowed origins, normalized; one that is not `scheme://host[:port]` is a usage error. */
function allowedOriginsOf(
  origins: string[],
  studio: string | undefined
): Set<string> {
  const allowed = new Set<string>();
  for (const origin of [...origins, ...(studio ? [studio] : [])]) {
    const normal = normalOrigin(origin);
    if (!normal) {
      throw new UsageError(
        `allowed origin "${origin.trim()}" is not scheme://host[:port]`,
        'pass origins like https://d-abc123.studio.us-east-1.sagemaker.aws (--allow-origin or $SM_SSH_ALLOW_ORIGINS)'
      );
    }
    allowed.add(normal);
  }
  return allowed;
}

export async function startBridge(
  options: IBridgeOptions = {}
): Promise<IBridge> {
  const env = options.env ?? process.env;
  const refreshSeconds = options.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  if (
    !Number.isFinite(refreshSeconds) ||
    refreshSeconds < MIN_REFRESH_SECONDS
  ) {
    throw new UsageError(
      `--refresh-seconds ${refreshSeconds} is below ${MIN_REFRESH_SECONDS}`,
      `pass ${MIN_REFRESH_SECONDS} or more (default ${DEFAULT_REFRESH_SECONDS})`
    );
  }
  const target: ListenTarget = options.socketPath
    ? { socketPath: options.socketPath }
    : { port: options.port ?? 0, host: options.host };
  const studio = readStudioMetadata(
    options.resourceMetadata ?? resourceMetadataPath(env)
  );
  const allowedOrigins = allowedOriginsOf(
    options.allowOrigins ??
      (env.SM_SSH_ALLOW_ORIGINS ?? '').split(',').filter(o => o.trim()),
    studioOrigin(studio)
  );
  const pool = new ClientPool({
    region: options.region,
    profile: options.profile,
    fallbackRegion: studio?.region
  });
  const paths = statePaths(options.configDir);
  const targets = new TargetsCache({
    pool,
    pollMs: refreshSeconds * 1000,
    lister: options.lister,
    finished: new FinishedJobs({ readEnd: options.readJobEnd })
  });
  const tunnels = new TunnelRegistry({
    paths,
    identityFile: options.identityFile
  });
  const spaces = new SpaceOperations(
    options.enableRemoteAccess ?? enableRemoteAccess
  );
  const jobs = new JobReleases(options.releaseJob ?? releaseJob);
  const hub = new EventHub({
    version: VERSION,
    targets,
    tunnels,
    spaces,
    keyOf: choice => pool.key(choice),
    pingMs: options.pingIntervalMs
  });
  const router = apiRouter({
    pool,
    targets,
    tunnels,
    spaces,
    jobs,
    paths,
    identityFile: options.identityFile,
    smSshCommand: options.smSshCommand ?? defaultCommand(),
    studio,
    sagemakerRoleArn:
      options.sagemakerRoleArn ?? (env.SM_SSH_SAGEMAKER_ROLE || undefined),
    userRoleArn: options.userRoleArn ?? (env.SM_SSH_USER_ROLE || undefined),
    studioCheck: options.studio
  }).add('GET', '/api/events', async () => {
    throw badRequest(
      '/api/events is a WebSocket',
      'connect with a WebSocket (Upgrade: websocket)'
    );
  });
  const log = options.log;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    const method = request.method ?? 'GET';
    let path = '/';
    try {
      const parsed = requestPath(request);
      path = parsed.path;
      const problem = xsrfProblem(request);
      if (problem) {
        throw forbidden(problem);
      }
      const { handler, params } = router.match(method, path);
      const result = await handler({
        request,
        response,
        path,
        query: parsed.query,
        params
      });
      await drainBody(request);
      sendJson(response, result.status, result.body);
    } catch (error) {
      await drainBody(request);
      sendError(response, toHttpError(error, `${method} ${path}`));
    } finally {
      log?.(
        `${method} ${path} ${response.statusCode} ${Date.now() - started}ms`
      );
    }
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const started = Date.now();
    let path = '/';
    let status = 101;
    try {
      const parsed = requestPath(request);
      path = parsed.path;
      if (path !== '/api/events') {
        throw notFound(
          `no WebSocket at ${path}`,
          'the event stream is /api/events'
        );
      }
      const problem = originProblem(request, allowedOrigins);
      if (problem) {
        throw forbidden(problem);
      }
      hub.upgrade(request, socket, head, clientChoice(parsed.query));
    } catch (error) {
      const refusal = toHttpError(error, 'opening the event stream');
      status = refusal.status;
      refuseUpgrade(
        socket,
        refusal.status,
        statusText(refusal.status),
        refusal
      );
    } finally {
      log?.(`GET ${path} ${status} ${Date.now() - started}ms`);
    }
  };

  const server = createServer(
    (request, response) => void handle(request, response)
  );
  server.on('upgrade', upgrade);
  server.on('clientError', (_error, socket: Socket) => socket.destroy());
  const sockets = new Set<Socket>();
  server.on('connection', socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let listening: IListening;
  try {
    listening = await listen(server, target);
  } catch (error) {
    hub.close();
    targets.close();
    spaces.close();
    jobs.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...listening,
    close: () => {
      closing ??= (async () => {
        hub.close();
        targets.close();
        spaces.close();
        jobs.close();
        await tunnels.closeAll();
        await new Promise<void>(resolve => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(
            () => sockets.forEach(socket => socket.destroy()),
            1000
          ).unref();
        });
      })();
      return closing;
    }
  };
}

function statusText(status: number): string {
  return (
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      409: 'Conflict',
      500: 'Internal Server Error',
      502: 'Bad Gateway'
    }[status] ?? 'Error'
  );
}
