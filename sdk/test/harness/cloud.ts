/**
 * The local cloud of an integration test: moto for IAM/STS (and later SageMaker, S3), the sandbox for SSM.
 * Clients reach them only through the standard AWS_ENDPOINT_URL_<SERVICE> variables and fake credentials.
 * A missing moto or CLI build is a failure with the fix, never a skip.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  SANDBOX_CREDENTIALS,
  sandboxEnv,
  startSandbox,
  type ISandbox
} from '../../src/sandbox/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${REPO_ROOT}sdk/dist/cli/main.js`;
export const MOTO_SERVER = `${REPO_ROOT}.venv/bin/moto_server`;

export interface ILocalCloud {
  sandbox: ISandbox;
  motoUrl: string;
  /** The environment that points the SDK and the CLI at the local servers, with fake credentials. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export { sandboxEnv };

/** The trust policy of a SageMaker execution role. */
export const SAGEMAKER_TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'sagemaker.amazonaws.com' },
      Action: 'sts:AssumeRole'
    }
  ]
};

/** The sandbox's fake credentials, as an SDK client takes them. */
export const SANDBOX_CLIENT_CREDENTIALS = {
  accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
};

/** An SDK client's configuration for one of the local cloud's endpoints: us-east-1, those credentials, no retries. */
export function localClientConfig(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: SANDBOX_CLIENT_CREDENTIALS,
    maxAttempts: 1
  };
}

export async function startLocalCloud(): Promise<ILocalCloud> {
  const sandbox = await startSandbox({ motoServer: MOTO_SERVER });
  const env = { ...sandboxEnv(sandbox), AWS_MAX_ATTEMPTS: '1' };
  return {
    sandbox,
    motoUrl: sandbox.moto?.url as string,
    env,
    stop: () => sandbox.close()
  };
}

export interface ICliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program as a real process with only the given environment (plus PATH and HOME); `input`, when given, is
 * its stdin (else stdin is closed).
 */
export function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  input?: string
): Promise<ICliResult> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...env
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: childEnv,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', chunk => (stdout += String(chunk)));
    child.stderr?.on('data', chunk => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', code => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin?.end(input);
  });
}

/** Runs the built `sm-ssh` as a real process with only the given environment (plus PATH and HOME). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string
): Promise<ICliResult> {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run \`npm run build -w sdk\` first`);
  }
  return runProcess(process.execPath, [CLI, ...args], env, input);
}

/**
 * OpenSSH arguments that reach `destination` (user@mi-…) through the built `sm-ssh proxy`, with one identity,
 * no config file, no known_hosts and no prompts.
 */
export function proxiedSshArgs(
  identityFile: string,
  destination: string,
  command: string
): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    identityFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    `ProxyCommand=${process.execPath} ${CLI} proxy %h`,
    destination,
    command
  ];
}
