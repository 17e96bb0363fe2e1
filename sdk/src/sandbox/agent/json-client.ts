/**
 * The stand-in agent's AWS calls: plain AWS JSON 1.1 requests (`X-Amz-Target: <prefix>.<Operation>`), SigV4-signed
 * when credentials are given. The public AWS SDK has no model for the agent's own operations
 * (RegisterManagedInstance, UpdateInstanceInformation, the ec2messages service), so the agent builds the requests
 * itself, as the real agent does with its private models.
 */
import { signatureV4Sdk } from '../../aws/sdk.js';
import { NodeSha256 } from '../../aws/sha256.js';

export interface IAgentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface IJsonCall {
  /** Base URL of the service, e.g. `http://127.0.0.1:4566`. */
  endpoint: string;
  /** X-Amz-Target prefix, e.g. `AmazonSSM`. */
  targetPrefix: string;
  /** SigV4 signing name, e.g. `ssm`, `ec2messages`. */
  signingName: string;
  region: string;
  /** Unsigned without (RegisterManagedInstance is: the activation code is the proof). */
  credentials?: IAgentCredentials;
  signal?: AbortSignal;
}

/** An error answered by the service: its `__type` (without namespace) and message. */
export class AgentCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number
  ) {
    super(`${code}: ${message}`);
  }
}

/** The credentials of the environment (AWS_ACCESS_KEY_ID, …), if any. */
export function environmentCredentials(
  env: NodeJS.ProcessEnv = process.env
): IAgentCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    return undefined;
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {})
  };
}

/** Calls `operation` and returns the service's JSON answer. */
export async function callJson(
  call: IJsonCall,
  operation: string,
  input: Record<string, unknown>
): Promise<Record<string, unknown>> {
  const url = new URL(call.endpoint);
  const body = JSON.stringify(input);
  let headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `${call.targetPrefix}.${operation}`
  };
  if (call.credentials) {
    const signer = new (signatureV4Sdk().SignatureV4)({
      service: call.signingName,
      region: call.region,
      credentials: call.credentials,
      sha256: NodeSha256
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers,
      body
    });
    headers = Object.fromEntries(
      Object.entries(signed.headers).map(([key, value]) => [key, String(value)])
    );
  }
  delete headers.host;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: call.signal
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new AgentCallError(
      'SerializationException',
      `${operation} answered with ${response.status} and a body that is not JSON`,
      response.status
    );
  }
  if (!response.ok) {
    const type = String(
      parsed.__type ??
        response.headers.get('x-amzn-errortype') ??
        'UnknownError'
    );
    throw new AgentCallError(
      type.split('#').pop() ?? type,
      String(parsed.message ?? parsed.Message ?? ''),
      response.status
    );
  }
  return parsed;
}
