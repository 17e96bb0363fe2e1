/**
 * The route handlers of the bridge API (the contract is types.ts): info, targets, the setup check, tunnels,
 * enabling remote access on a Studio space, and releasing a job launched with SSH.
 * Each picks its AWS clients from the `region`/`profile` query parameters and calls the SDK.
 */
import { createRequire } from 'node:module';
import type { AwsClients } from '../aws/clients.js';
import { stsSdk } from '../aws/sdk.js';
import { formatTarget, parseTarget, TARGET_KINDS } from '../names/index.js';
import {
  checkSetup,
  type ICheckOptions,
  type ICheckReport
} from '../policies/checker.js';
import { shellJoin } from '../shell.js';
import { defaultUser } from '../ssh/connect.js';
import type { IStatePaths } from '../ssh/paths.js';
import { clientChoice, type ClientPool } from './clients.js';
import { notFound, toHttpError } from './errors.js';
import { readJsonBody } from './http.js';
import { parseReleaseRequest, type JobReleases } from './jobs.js';
import { Router, type IRequestContext } from './router.js';
import {
  parseEnableRequest,
  refuseOwnSpace,
  type SpaceOperations
} from './spaces.js';
import type { IStudioMetadata } from './studio.js';
import type { TargetsCache } from './targets.js';
import { parseTunnelRequest, type TunnelRegistry } from './tunnels.js';
import type {
  BridgeTargetKind,
  IBridgeCheckReport,
  IBridgeInfo,
  IBridgeReleaseReport,
  ISetupCheckResponse,
  ISpaceOperation,
  ITargetsResponse,
  ITunnelsResponse
} from './types.js';

export const VERSION = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;

export interface IApiOptions {
  pool: ClientPool;
  targets: TargetsCache;
  tunnels: TunnelRegistry;
  spaces: SpaceOperations;
  jobs: JobReleases;
  paths: IStatePaths;
  identityFile?: string;
  /** The argv that runs this sm-ssh: node and the CLI script. */
  smSshCommand: string[];
  studio?: IStudioMetadata;
  sagemakerRoleArn?: string;
  userRoleArn?: string;
  /** --studio: the Studio case of the check without the metadata file. */
  studioCheck?: boolean;
}

/** The SDK's report is the bridge's (the compiler checks that ICheckReport fits IBridgeCheckReport). */
export function toBridgeReport(report: ICheckReport): IBridgeCheckReport {
  return report;
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== '0' && value !== 'false';
}

async function clientsOf(
  options: IApiOptions,
  query: URLSearchParams
): Promise<{ clients: AwsClients; key: string; profile?: string }> {
  const choice = clientChoice(query);
  try {
    return {
      clients: await options.pool.get(choice),
      key: options.pool.key(choice),
      profile: choice.profile ?? options.pool.defaultProfile
    };
  } catch (error) {
    throw toHttpError(error, 'creating the AWS clients');
  }
}

interface ICaller {
  Arn?: string;
  UserId?: string;
}

/** How long the caller's identity is kept, and how long info waits for STS before leaving it out. */
const CALLER_TTL_MS = 60_000;
const CALLER_WAIT_MS = 5000;
type CallerCache = Map<
  string,
  { at: number; identity: Promise<ICaller | undefined> }
>;

/** STS's answer for these clients, kept a minute; undefined when STS fails or is slow. */
function callerOf(
  callers: CallerCache,
  clients: AwsClients,
  key: string
): Promise<ICaller | undefined> {
  const kept = callers.get(key);
  if (kept && Date.now() - kept.at < CALLER_TTL_MS) {
    return kept.identity;
  }
  const { GetCallerIdentityCommand } = stsSdk();
  const identity = clients
    .sts()
    .send(new GetCallerIdentityCommand({}))
    .then(
      answer => answer as ICaller,
      () => {
        callers.delete(key);
        return undefined;
      }
    );
  callers.set(key, { at: Date.now(), identity });
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<undefined>(resolve => {
    timer = setTimeout(() => resolve(undefined), CALLER_WAIT_MS);
    timer.unref();
  });
  return Promise.race([identity, slow]).finally(() => clearTimeout(timer));
}

async function info(
  options: IApiOptions,
  callers: CallerCache,
  { query }: IRequestContext
): Promise<IBridgeInfo> {
  const { clients, key } = await clientsOf(options, query);
  const identity = await callerOf(callers, clients, key);
  const defaultUsers: Partial<Record<BridgeTargetKind, string>> = {};
  TARGET_KINDS.forEach(kind => {
    defaultUsers[kind] = defaultUser(kind);
  });
  return {
    version: VERSION,
    region: clients.region,
    ...(identity?.Arn ? { caller: identity.Arn } : {}),
    ...(identity?.UserId ? { userId: identity.UserId } : {}),
    studio: options.studio !== undefined,
    smSshCommand: options.smSshCommand,
    smSshShellCommand: shellJoin(options.smSshCommand),
    defaultUsers,
    identityFile: options.identityFile ?? options.paths.identity,
    knownHostsFile: options.paths.knownHosts
  };
}

async function targets(
  options: IApiOptions,
  { query }: IRequestContext
): Promise<ITargetsResponse> {
  const choice = clientChoice(query);
  const listing = await options.targets.get(choice, {
    refresh: flag(query, 'refresh')
  });
  return flag(query, 'mine')
    ? { ...listing, targets: listing.targets.filter(target => target.mine) }
    : listing;
}

/** The check's options and the matching `sm-ssh setup` flags (roles, Studio case). */
export function checkPlan(
  options: IApiOptions,
  clients: AwsClients,
  profile?: string
): { check: ICheckOptions; flags: string[] } {
  const { sagemakerRoleArn, userRoleArn } = options;
  const where = [
    '--region',
    clients.region,
    ...(profile ? ['--profile', profile] : [])
  ];
  if (sagemakerRoleArn || userRoleArn) {
    return {
      check: {
        sagemakerRoleArn,
        userRoleArn,
        studio: options.studioCheck,
        regions: [clients.region]
      },
      flags: [
        ...(options.studioCheck ? ['--studio'] : []),
        ...(sagemakerRoleArn ? ['--sagemaker-role', sagemakerRoleArn] : []),
        ...(userRoleArn ? ['--user-role', userRoleArn] : []),
        ...where
      ]
    };
  }
  const execution = options.studio?.executionRoleArn;
  if (execution) {
    return {
      check: {
        sagemakerRoleArn: execution,
        userRoleArn: execution,
        studio: true,
        regions: [clients.region]
      },
      flags: ['--studio', '--sagemaker-role', execution, ...where]
    };
  }
  return {
    check: { studio: options.studioCheck, regions: [clients.region] },
    flags: [...(options.studioCheck ? ['--studio'] : []), ...where]
  };
}

async function setupCheck(
  options: IApiOptions,
  { query }: IRequestContext
): Promise<ISetupCheckResponse> {
  const { clients, profile } = await clientsOf(options, query);
  const plan = checkPlan(options, clients, profile);
  let report: ICheckReport;
  try {
    report = await checkSetup(clients, plan.check);
  } catch (error) {
    throw toHttpError(error, 'checking the setup');
  }
  return {
    report: toBridgeReport(report),
    applyCommand: shellJoin(['sm-ssh', 'setup', 'apply', ...plan.flags]),
    checkCommand: shellJoin(['sm-ssh', 'setup', 'check', ...plan.flags])
  };
}

async function enableRemoteAccess(
  options: IApiOptions,
  { request, query }: IRequestContext
): Promise<ISpaceOperation> {
  const { target } = parseEnableRequest(await readJsonBody(request));
  refuseOwnSpace(target, options.studio);
  const { clients, key } = await clientsOf(options, query);
  const choice = clientChoice(query);
  return options.spaces.start(clients, key, target, () =>
    options.targets.refresh(choice)
  );
}

async function releaseJob(
  options: IApiOptions,
  { request, query }: IRequestContext
): Promise<IBridgeReleaseReport> {
  const release = parseReleaseRequest(await readJsonBody(request));
  const { clients } = await clientsOf(options, query);
  const choice = clientChoice(query);
  return options.jobs.release(clients, release, () =>
    options.targets.refresh(choice)
  );
}

async function spaceOperation(
  options: IApiOptions,
  { params, query }: IRequestContext
): Promise<ISpaceOperation> {
  let target = params.target;
  try {
    target = formatTarget(parseTarget(params.target));
  } catch {
    // not a target name: not one an operation was started for either
  }
  const operation = options.spaces.get(
    options.pool.key(clientChoice(query)),
    target
  );
  if (!operation) {
    throw notFound(
      `remote access was not enabled on ${target} by this server`,
      'POST /api/spaces/remote-access starts it'
    );
  }
  return operation;
}

/** The router of every API route. */
export function apiRouter(options: IApiOptions): Router {
  const callers: CallerCache = new Map();
  const ok =
    <T>(status: number, run: (c: IRequestContext) => Promise<T>) =>
    async (context: IRequestContext) => ({ status, body: await run(context) });
  return new Router()
    .add('GET', '/', async () => ({ status: 200, body: { ok: true } }))
    .add(
      'GET',
      '/api/info',
      ok(200, context => info(options, callers, context))
    )
    .add(
      'GET',
      '/api/targets',
      ok(200, context => targets(options, context))
    )
    .add(
      'GET',
      '/api/setup/check',
      ok(200, context => setupCheck(options, context))
    )
    .add(
      'GET',
      '/api/tunnels',
      ok(200, async (): Promise<ITunnelsResponse> => {
        return { tunnels: options.tunnels.list() };
      })
    )
    .add(
      'POST',
      '/api/tunnels',
      ok(201, async context => {
        const request = parseTunnelRequest(await readJsonBody(context.request));
        const { clients, key } = await clientsOf(options, context.query);
        return options.tunnels.start(clients, key, request);
      })
    )
    .add(
      'GET',
      '/api/tunnels/:id',
      ok(200, async ({ params }) => {
        const tunnel = options.tunnels.get(params.id);
        if (!tunnel) {
          throw notFound(
            `no tunnel ${params.id}`,
            'GET /api/tunnels lists them'
          );
        }
        return tunnel;
      })
    )
    .add(
      'POST',
      '/api/spaces/remote-access',
      ok(202, context => enableRemoteAccess(options, context))
    )
    .add(
      'GET',
      '/api/spaces/remote-access/:target',
      ok(200, context => spaceOperation(options, context))
    )
    .add(
      'POST',
      '/api/jobs/release',
      ok(200, context => releaseJob(options, context))
    )
    .add('DELETE', '/api/tunnels/:id', async ({ params }) => {
      if (!options.tunnels.close(params.id)) {
        throw notFound(`no tunnel ${params.id}`, 'GET /api/tunnels lists them');
      }
      return { status: 204 };
    });
}
