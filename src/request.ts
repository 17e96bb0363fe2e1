/**
 * The one typed client of the bridge API (`sm-ssh serve` behind jupyter-server-proxy at `<baseUrl>sm-ssh/api/…`).
 * Requests go through `ServerConnection.makeRequest`, which adds Jupyter's token and the X-XSRFToken header the
 * bridge checks. Every failure becomes a `BridgeError`: the bridge's own JSON errors keep their message, hint and
 * code; a network failure or a reply that is not the bridge's JSON (jupyter-server-proxy answers 500 with HTML
 * when `sm-ssh serve` did not start) becomes code `unreachable` with a hint about the server log.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  IBridgeError,
  IEnableRemoteAccessRequest,
  IReleaseJobRequest
} from 'sagemaker-ssh/dist/bridge/types';
import type {
  IBridgeClient,
  IBridgeInfo,
  IBridgeReleaseReport,
  IBridgeTunnel,
  ISetupCheckResponse,
  ISpaceOperation,
  IStartTunnelRequest,
  ITargetsResponse,
  ITunnelsResponse
} from './tokens';

/** The path jupyter-server-proxy mounts the bridge under. */
export const BRIDGE_PREFIX = 'sm-ssh';

/** The bridge's error codes plus `unreachable`: no JSON answer from the bridge at all. */
export type BridgeErrorCode = NonNullable<IBridgeError['code']> | 'unreachable';

export const UNREACHABLE_HINT =
  'the sm-ssh server did not start: check the Jupyter server log (jupyter-server-proxy starts `sm-ssh serve`)';

/** A failed call of the bridge API. */
export class BridgeError extends Error {
  /** The HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** The one-line message (the `error` of the body). */
  readonly error: string;
  readonly hint?: string;
  readonly code: BridgeErrorCode;

  constructor(
    status: number,
    body: { error: string; hint?: string; code?: BridgeErrorCode }
  ) {
    super(body.hint ? `${body.error} (${body.hint})` : body.error);
    this.name = 'BridgeError';
    this.status = status;
    this.error = body.error;
    this.hint = body.hint;
    this.code = body.code ?? Private.codeOfStatus(status);
  }
}

/** The API URL of `path` (relative to `…/sm-ssh/api/`), with `query` values that are set. */
export function apiUrl(
  settings: ServerConnection.ISettings,
  path: string,
  query: Record<string, string | undefined> = {}
): string {
  const url = URLExt.join(settings.baseUrl, BRIDGE_PREFIX, 'api', path);
  return url + Private.queryString(query);
}

/**
 * Calls the bridge API and returns its JSON body (undefined for 204).
 *
 * @throws BridgeError
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  query: Record<string, string | undefined> = {}
): Promise<T> {
  const url = apiUrl(settings, path, query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new BridgeError(0, {
      error: `the Jupyter server did not answer (${Private.message(reason)})`,
      hint: 'check that the Jupyter server runs and the network is up',
      code: 'unreachable'
    });
  }
  const text = await response.text().catch(() => '');
  const body = Private.parse(text);
  if (!response.ok) {
    throw Private.errorOf(response, body);
  }
  if (response.status === 204 || text === '') {
    return undefined as T;
  }
  if (body === undefined) {
    throw new BridgeError(response.status, {
      error: `the answer of ${path} is not JSON`,
      hint: UNREACHABLE_HINT,
      code: 'unreachable'
    });
  }
  return body as T;
}

/** Which AWS profile and region the calls are about (sent as query parameters; '' = the server's default). */
export interface IBridgeScope {
  region: string;
  profile: string;
}

/** The bridge API's routes as methods. */
export class BridgeClient implements IBridgeClient {
  /**
   * @param scope - read on every call, so a settings change applies to the next call
   */
  constructor(
    readonly serverSettings: ServerConnection.ISettings,
    private readonly scope: () => IBridgeScope = () => ({
      region: '',
      profile: ''
    })
  ) {}

  /** The `region`/`profile` query of the current scope. */
  scopeQuery(): Record<string, string | undefined> {
    const { region, profile } = this.scope();
    return { region: region || undefined, profile: profile || undefined };
  }

  info(): Promise<IBridgeInfo> {
    return this.get<IBridgeInfo>('info');
  }

  targets(options: { refresh?: boolean } = {}): Promise<ITargetsResponse> {
    return this.get<ITargetsResponse>(
      'targets',
      options.refresh ? { refresh: '1' } : {}
    );
  }

  setupCheck(): Promise<ISetupCheckResponse> {
    return this.get<ISetupCheckResponse>('setup/check');
  }

  tunnels(): Promise<ITunnelsResponse> {
    return this.get<ITunnelsResponse>('tunnels');
  }

  startTunnel(request: IStartTunnelRequest): Promise<IBridgeTunnel> {
    return requestAPI<IBridgeTunnel>(
      'tunnels',
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'Content-Type': 'application/json' }
      },
      this.serverSettings,
      this.scopeQuery()
    );
  }

  closeTunnel(id: string): Promise<void> {
    return requestAPI<void>(
      `tunnels/${encodeURIComponent(id)}`,
      { method: 'DELETE' },
      this.serverSettings,
      this.scopeQuery()
    );
  }

  enableRemoteAccess(target: string): Promise<ISpaceOperation> {
    const request: IEnableRemoteAccessRequest = {
      target,
      confirmRestart: true
    };
    return requestAPI<ISpaceOperation>(
      'spaces/remote-access',
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'Content-Type': 'application/json' }
      },
      this.serverSettings,
      this.scopeQuery()
    );
  }

  releaseJob(
    target: string,
    options: { node?: number; anyOwner?: boolean } = {}
  ): Promise<IBridgeReleaseReport> {
    const request: IReleaseJobRequest = {
      target,
      ...(options.node !== undefined ? { node: options.node } : {}),
      ...(options.anyOwner ? { anyOwner: true } : {})
    };
    return requestAPI<IBridgeReleaseReport>(
      'jobs/release',
      {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { 'Content-Type': 'application/json' }
      },
      this.serverSettings,
      this.scopeQuery()
    );
  }

  spaceOperation(target: string): Promise<ISpaceOperation> {
    return this.get<ISpaceOperation>(
      `spaces/remote-access/${encodeURIComponent(target)}`
    );
  }

  private get<T>(
    path: string,
    query: Record<string, string | undefined> = {}
  ): Promise<T> {
    return requestAPI<T>(path, { method: 'GET' }, this.serverSettings, {
      ...this.scopeQuery(),
      ...query
    });
  }
}

namespace Private {
  export function message(reason: unknown): string {
    return reason instanceof Error ? reason.message : String(reason);
  }

  export function queryString(query: Record<string, string | undefined>) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) {
        params.set(key, value);
      }
    }
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  export function parse(text: string): unknown {
    if (text.trim() === '') {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }

  export function isBridgeError(body: unknown): body is IBridgeError {
    return (
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { error?: unknown }).error === 'string'
    );
  }

  export function codeOfStatus(status: number): BridgeErrorCode {
    switch (status) {
      case 0:
        return 'unreachable';
      case 400:
        return 'bad-request';
      case 403:
        return 'forbidden';
      case 404:
        return 'not-found';
      case 409:
        return 'conflict';
      default:
        return 'failed';
    }
  }

  export function errorOf(response: Response, body: unknown): BridgeError {
    if (isBridgeError(body)) {
      return new BridgeError(response.status, {
        error: body.error,
        hint: typeof body.hint === 'string' ? body.hint : undefined,
        // 503 comes from the package's stand-in when `sm-ssh serve` cannot start (no Node, no CLI), never
        // from the bridge itself
        code: response.status === 503 ? 'unreachable' : body.code
      });
    }
    // not the bridge speaking: jupyter-server-proxy's page when the process did not start, or Jupyter's own
    // error page (e.g. 403 for a missing login)
    const proxyFailed = response.status >= 500 || response.status === 404;
    return new BridgeError(response.status, {
      error:
        `the Jupyter server answered ${response.status} ${response.statusText}`.trim(),
      hint: proxyFailed
        ? UNREACHABLE_HINT
        : 'reload JupyterLab: the login may have expired',
      code: proxyFailed ? 'unreachable' : Private.codeOfStatus(response.status)
    });
  }
}
