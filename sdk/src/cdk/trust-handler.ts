/**
 * The Lambda behind the `Custom::SageMakerSsmTrust` resource of SSH-IAM-SSM-Stack: it adds the guide's
 * `ssm.amazonaws.com` statement to the trust policy of a role the stack does not own, and takes exactly that
 * statement out again when the resource is deleted (only if it was the one that added it).
 *
 * Every function here is self-contained (no imports at run time, no module-level values) because
 * {@link trustHandlerCode} pastes their `toString()` into the Lambda's inline code: the functions the unit tests call
 * are the code that runs in the Lambda.
 */
import type { IPolicyDocument, IPolicyStatement } from '../policies/types.js';

/** The properties of the custom resource (CloudFormation passes them as strings). */
export interface ITrustResourceProperties {
  /** The role name, without its path. */
  RoleName: string;
  /** The statement to add, as JSON (`JSON.stringify(ssmTrustStatement())`). */
  Statement: string;
}

/** The part of a CloudFormation custom resource request the handler reads. */
export interface ITrustEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: ITrustResourceProperties;
}

/** What the handler needs from IAM (real: {@link createIamTrustStore}; tests: a fake). */
export interface ITrustStore {
  /** The role's trust policy, decoded; undefined when the role does not exist. */
  get(roleName: string): Promise<IPolicyDocument | undefined>;
  put(roleName: string, document: IPolicyDocument): Promise<void>;
}

/** The outcome of one request: `PhysicalResourceId` is `ssm-trust/<added|present>/<role name>`. */
export interface ITrustResult {
  PhysicalResourceId: string;
  Data: { RoleName: string; Added: 'true' | 'false' };
}

/** The body of the answer to CloudFormation. */
export interface ICfnResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** The subset of `@aws-sdk/client-iam` the Lambda uses. */
export interface IIamModule {
  IAMClient: new (config: object) => {
    send(command: unknown): Promise<unknown>;
  };
  GetRoleCommand: new (input: { RoleName: string }) => unknown;
  UpdateAssumeRolePolicyCommand: new (input: {
    RoleName: string;
    PolicyDocument: string;
  }) => unknown;
}

/** The subset of `node:https` the Lambda uses. */
export interface IHttpsModule {
  request(
    url: string,
    options: { method: string; headers: Record<string, string | number> },
    callback: (response: {
      statusCode?: number;
      resume(): void;
      on(event: 'end', listener: () => void): void;
    }) => void
  ): {
    on(event: 'error', listener: (error: Error) => void): void;
    end(body: string): void;
  };
}

// The functions below are inlined into a Lambda through toString(): coverage counters must not leak into them.
// (This comment sits here, not at the top, because TypeScript drops comments attached to the elided type import.)
/* istanbul ignore file */

/** A value or list of values as a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** True when the IAM pattern (`*`, `sts:*`, `sts:AssumeRole`; case-insensitive) matches the action. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('*')
    .map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

/**
 * True when `existing` already allows what `wanted` allows: Allow, every service principal of `wanted` among its
 * service principals, every action of `wanted` matched by its actions. A statement with conditions counts too
 * (the administrator's conditions are respected, not widened).
 */
export function grantsStatement(
  existing: IPolicyStatement,
  wanted: IPolicyStatement
): boolean {
  if (
    existing.Effect !== 'Allow' ||
    typeof existing.Principal !== 'object' ||
    typeof wanted.Principal !== 'object'
  ) {
    return false;
  }
  const services = asList(existing.Principal.Service);
  const actions = asList(existing.Action);
  return (
    asList(wanted.Principal.Service).every(service =>
      services.includes(service)
    ) &&
    asList(wanted.Action).every(action =>
      actions.some(pattern => actionMatches(pattern, action))
    )
  );
}

/** JSON with sorted keys and one-element lists as scalars, to compare statements by meaning, not by spelling. */
export function canonicalJson(value: unknown): string {
  const canonical = (item: unknown): unknown => {
    if (Array.isArray(item)) {
      return item.length === 1 ? canonical(item[0]) : item.map(canonical);
    }
    if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item as Record<string, unknown>).sort(
        ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)
      );
      return Object.fromEntries(
        entries.map(([key, inner]) => [key, canonical(inner)])
      );
    }
    return item;
  };
  return JSON.stringify(canonical(value));
}

/**
 * Adds `statement` to the trust policy unless a statement already allows the same principal the same action.
 * The other statements are kept as they are, in their order. Idempotent.
 */
export function mergeTrustStatement(
  document: IPolicyDocument,
  statement: IPolicyStatement
): { document: IPolicyDocument; added: boolean } {
  const statements = asList(document.Statement);
  if (statements.some(existing => grantsStatement(existing, statement))) {
    return { document, added: false };
  }
  return {
    document: { ...document, Statement: [...statements, statement] },
    added: true
  };
}

/** Removes the first statement equal to `statement` (by meaning); the others are kept as they are. */
export function unmergeTrustStatement(
  document: IPolicyDocument,
  statement: IPolicyStatement
): { document: IPolicyDocument; removed: boolean } {
  const statements = asList(document.Statement);
  const wanted = canonicalJson(statement);
  const index = statements.findIndex(
    existing => canonicalJson(existing) === wanted
  );
  if (index < 0) {
    return { document, removed: false };
  }
  return {
    document: {
      ...document,
      Statement: statements.filter((_, i) => i !== index)
    },
    removed: true
  };
}

/** `ssm-trust/<added|present>/<role name>`; undefined for any other id (e.g. one CloudFormation made up). */
export function parseTrustPhysicalId(
  id: string | undefined
): { added: boolean; roleName: string } | undefined {
  const match = /^ssm-trust\/(added|present)\/([\w+=,.@-]+)$/.exec(id ?? '');
  return match
    ? { added: match[1] === 'added', roleName: match[2] }
    : undefined;
}

/** Handles one Create, Update or Delete request against the store; throws on failure. */
export async function handleTrustEvent(
  event: ITrustEvent,
  store: ITrustStore
): Promise<ITrustResult> {
  const roleName = event.ResourceProperties.RoleName;
  const statement = JSON.parse(
    event.ResourceProperties.Statement
  ) as IPolicyStatement;
  const previous = parseTrustPhysicalId(event.PhysicalResourceId);
  const result = (added: boolean, name: string): ITrustResult => ({
    PhysicalResourceId: `ssm-trust/${added ? 'added' : 'present'}/${name}`,
    Data: { RoleName: name, Added: added ? 'true' : 'false' }
  });
  if (event.RequestType === 'Delete') {
    if (!previous || !previous.added) {
      return result(false, previous ? previous.roleName : roleName);
    }
    const current = await store.get(previous.roleName);
    if (current) {
      const { document, removed } = unmergeTrustStatement(current, statement);
      if (removed && asList(document.Statement).length > 0) {
        await store.put(previous.roleName, document);
      }
    }
    return result(false, previous.roleName);
  }
  const current = await store.get(roleName);
  if (!current) {
    throw new Error(`IAM role ${roleName} does not exist`);
  }
  const { document, added } = mergeTrustStatement(current, statement);
  if (added) {
    await store.put(roleName, document);
  }
  // An update of the same role keeps ownership of a statement it added before: a changed physical id would make
  // CloudFormation send a Delete for the old id, which would remove the statement again.
  const owned =
    added ||
    (previous !== undefined &&
      previous.added &&
      previous.roleName === roleName);
  return result(owned, roleName);
}

/** Runs a request and builds CloudFormation's answer (never throws: a failure becomes `FAILED`). */
export async function runTrustRequest(
  event: ITrustEvent,
  store: ITrustStore,
  logStream: string
): Promise<ICfnResponse> {
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId
  };
  try {
    const outcome = await handleTrustEvent(event, store);
    return {
      ...base,
      Status: 'SUCCESS',
      PhysicalResourceId: outcome.PhysicalResourceId,
      Data: outcome.Data
    };
  } catch (error) {
    console.error(error);
    const message =
      error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
    const roleName =
      event.ResourceProperties && event.ResourceProperties.RoleName;
    return {
      ...base,
      Status: 'FAILED',
      Reason: `${message} (log stream ${logStream})`.slice(0, 3000),
      PhysicalResourceId:
        event.PhysicalResourceId || `ssm-trust/failed/${roleName}`
    };
  }
}

/** The store backed by IAM: GetRole (URL-encoded document) and UpdateAssumeRolePolicy. */
export function createIamTrustStore(sdk: IIamModule): ITrustStore {
  const client = new sdk.IAMClient({});
  return {
    async get(roleName) {
      try {
        const output = (await client.send(
          new sdk.GetRoleCommand({ RoleName: roleName })
        )) as {
          Role?: { AssumeRolePolicyDocument?: string };
        };
        const text = output.Role && output.Role.AssumeRolePolicyDocument;
        return text
          ? (JSON.parse(decodeURIComponent(text)) as IPolicyDocument)
          : { Version: '2012-10-17', Statement: [] };
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if (name === 'NoSuchEntityException' || name === 'NoSuchEntity') {
          return undefined;
        }
        throw error;
      }
    },
    async put(roleName, document) {
      await client.send(
        new sdk.UpdateAssumeRolePolicyCommand({
          RoleName: roleName,
          PolicyDocument: JSON.stringify(document)
        })
      );
    }
  };
}

/** PUTs the answer to CloudFormation's pre-signed S3 URL (empty content type, as the URL was signed for). */
export function sendCfnResponse(
  https: IHttpsModule,
  url: string,
  response: ICfnResponse
): Promise<void> {
  const body = JSON.stringify(response);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'PUT',
        headers: {
          'content-type': '',
          'content-length': Buffer.byteLength(body)
        }
      },
      answer => {
        answer.resume();
        answer.on('end', () =>
          answer.statusCode !== undefined && answer.statusCode >= 300
            ? reject(
                new Error(
                  `CloudFormation response URL answered HTTP ${answer.statusCode}`
                )
              )
            : resolve()
        );
      }
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The functions pasted into the Lambda, in dependency order. */
export const TRUST_HANDLER_FUNCTIONS: ReadonlyArray<
  (...args: never[]) => unknown
> = [
  asList,
  actionMatches,
  grantsStatement,
  canonicalJson,
  mergeTrustStatement,
  unmergeTrustStatement,
  parseTrustPhysicalId,
  handleTrustEvent,
  runTrustRequest,
  createIamTrustStore,
  sendCfnResponse
];

/**
 * The entry point of the inline code: CommonJS `index.handler`, using the SDK the Node.js runtime ships. The functions
 * are called by their `name`, so the code stays whole if a bundler renames them.
 */
function trustHandlerEntry(): string {
  return `
const iamModule = require('@aws-sdk/client-iam');
const httpsModule = require('https');
let store;
exports.handler = async (event, context) => {
  console.log(JSON.stringify({ RequestType: event.RequestType, PhysicalResourceId: event.PhysicalResourceId, ResourceProperties: event.ResourceProperties }));
  store = store || ${createIamTrustStore.name}(iamModule);
  const response = await ${runTrustRequest.name}(event, store, context && context.logStreamName);
  console.log(JSON.stringify(response));
  await ${sendCfnResponse.name}(httpsModule, event.ResponseURL, response);
};`;
}

/** The Lambda's inline source (`index.js`): the functions above, then the entry point. */
export function trustHandlerCode(): string {
  return [
    '"use strict";',
    ...TRUST_HANDLER_FUNCTIONS.map(fn => fn.toString()),
    trustHandlerEntry().trim(),
    ''
  ].join('\n\n');
}
