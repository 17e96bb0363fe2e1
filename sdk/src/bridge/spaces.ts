/**
 * `POST /api/spaces/remote-access`: turning remote access on for a Studio space, which restarts its app, as an
 * operation that runs in the background. One operation per space (and AWS clients) at a time; its progress goes out
 * as `space-operation` events, and when it ends the targets are listed again so the space's new state goes out as
 * target diffs before the operation is reported done.
 *
 * Emits `operation` (clients key, ISpaceOperation) on every change.
 */
import { EventEmitter } from 'node:events';
import type { AwsClients } from '../aws/clients.js';
import type { ISpaceInfo } from '../spaces/types.js';
import { badRequest, conflict, toHttpError } from './errors.js';
import { requestFields, requestTarget } from './requests.js';
import type { IEnableRemoteAccessRequest, ISpaceOperation } from './types.js';

/** The SDK's enableRemoteAccess (sdk/src/spaces/enable.ts), or a stand-in with its shape. */
export type RemoteAccessEnabler = (
  clients: AwsClients,
  target: string,
  options: { onStep?: (step: string) => void }
) => Promise<ISpaceInfo>;

const FIRST_STEP = 'enabling remote access';

/** Checks a POST /api/spaces/remote-access body: a space target (canonical) and confirmRestart true. */
export function parseEnableRequest(body: unknown): { target: string } {
  const request = requestFields<IEnableRemoteAccessRequest>(
    body,
    'the request',
    'send {"target": "<space>.<domain-id>.space.sagemaker", "confirmRestart": true}'
  );
  const { target, kind } = requestTarget(
    request.target,
    'pass a space target such as my-space.d-abc123.space.sagemaker (GET /api/targets lists them)'
  );
  if (kind !== 'space') {
    throw badRequest(
      `${target} is not a Studio space: remote access is a setting of spaces`,
      'pass a space target, <space>.<domain-id>.space.sagemaker'
    );
  }
  if (request.confirmRestart !== true) {
    throw badRequest(
      `confirmRestart is not true: enabling remote access restarts the app of ${target}, and unsaved work in it is lost`,
      'ask the user first, then send "confirmRestart": true'
    );
  }
  return { target };
}

/**
 * Refuses the space this bridge runs in (Studio's metadata names it): restarting its app stops this server after
 * DeleteApp, so CreateApp would never come and the space would be left without an app.
 */
export function refuseOwnSpace(
  target: string,
  own: { domainId?: string; spaceName?: string } | undefined
): void {
  if (!own?.domainId || !own.spaceName) {
    return;
  }
  const [spaceName, domainId] = target.split('.');
  if (spaceName === own.spaceName && domainId === own.domainId) {
    throw badRequest(
      `${target} is the space this JupyterLab runs in: restarting its app would stop this server before the app is started again`,
      `enable it from another space or your own machine (sm-ssh space enable-remote-access ${target}), or in the SageMaker console`
    );
  }
}

export class SpaceOperations extends EventEmitter {
  private readonly operations = new Map<string, ISpaceOperation>();
  private readonly enable: RemoteAccessEnabler;
  private closed = false;

  constructor(enable: RemoteAccessEnabler) {
    super();
    this.enable = enable;
  }

  /** The operation of this target with these clients, running or ended; undefined when none was started. */
  get(key: string, target: string): ISpaceOperation | undefined {
    const operation = this.operations.get(`${key}\n${target}`);
    return operation ? { ...operation } : undefined;
  }

  /**
   * Starts enabling remote access; 409 while an operation on the same space runs. `relist` lists the targets of
   * these clients again (skipping the cache); it runs when the operation ends.
   */
  start(
    clients: AwsClients,
    key: string,
    target: string,
    relist: () => Promise<unknown>
  ): ISpaceOperation {
    const id = `${key}\n${target}`;
    if (this.operations.get(id)?.state === 'running') {
      throw conflict(
        `remote access is already being enabled on ${target}`,
        `wait for it to end (GET /api/spaces/remote-access/${target} or the space-operation events)`
      );
    }
    const operation: ISpaceOperation = {
      target,
      state: 'running',
      step: FIRST_STEP,
      startedAt: Date.now()
    };
    this.operations.set(id, operation);
    this.changed(key, operation);
    void this.run(clients, key, operation, relist);
    return { ...operation };
  }

  private async run(
    clients: AwsClients,
    key: string,
    operation: ISpaceOperation,
    relist: () => Promise<unknown>
  ): Promise<void> {
    let failure: { error: string; hint?: string } | undefined;
    try {
      await this.enable(clients, operation.target, {
        onStep: step => {
          if (operation.state === 'running' && step !== operation.step) {
            operation.step = step;
            this.changed(key, operation);
          }
        }
      });
    } catch (error) {
      const answer = toHttpError(
        error,
        `enabling remote access on ${operation.target}`
      );
      failure = { error: answer.message, hint: answer.hint };
    }
    if (!this.closed) {
      // the space's new state (or how far it got) goes out as target diffs before the end is reported
      await relist().catch(() => undefined);
    }
    operation.state = failure ? 'failed' : 'done';
    operation.finishedAt = Date.now();
    if (failure) {
      operation.error = failure.error;
      if (failure.hint) {
        operation.hint = failure.hint;
      }
    }
    this.changed(key, operation);
  }

  private changed(key: string, operation: ISpaceOperation): void {
    if (!this.closed) {
      this.emit('operation', key, { ...operation });
    }
  }

  /** Stops reporting (the bridge is closing); a running operation still ends on AWS's side. */
  close(): void {
    this.closed = true;
  }
}
