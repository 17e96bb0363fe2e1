/**
 * The SSM agent as a child process, driven as the original project drives it: `amazon-ssm-agent -register -id
 * -code -region -y` once, then `amazon-ssm-agent` running until the container stops. Its output goes to ours
 * (SageMaker sends it to CloudWatch, where the registration line is how untagged endpoints are found). The
 * binary is `SM_SSH_AGENT` when set (the sandbox's stand-in), else `amazon-ssm-agent` on the PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { OperationError, UsageError } from '../errors.js';
import type { IRemoteActivation } from './activation.js';

export const DEFAULT_AGENT = 'amazon-ssm-agent';

/** What the agent prints once registered (and what the original project's log lookup searches for). */
export const REGISTRATION_LINE =
  /Successfully registered the instance with AWS SSM using Managed instance-id: (mi-[0-9a-f]{17})/;

export interface IAgentOptions {
  /** The agent binary. */
  agent: string;
  env: NodeJS.ProcessEnv;
  /** Where the agent's output goes. */
  output: NodeJS.WritableStream;
}

function missing(agent: string, error: unknown): UsageError | undefined {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? new UsageError(
        `the SSM agent ${agent} is not installed`,
        'install amazon-ssm-agent (sdk/remote/sm-ssh-init.sh does, as root), or set SM_SSH_AGENT to its path'
      )
    : undefined;
}

function spawnAgent(args: string[], options: IAgentOptions): ChildProcess {
  const child = spawn(options.agent, args, {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout?.pipe(options.output, { end: false });
  child.stderr?.pipe(options.output, { end: false });
  return child;
}

/** `amazon-ssm-agent -register …`; resolves with the managed instance id it printed. */
export function registerAgent(
  activation: IRemoteActivation,
  region: string,
  options: IAgentOptions
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnAgent(
      [
        '-register',
        '-id',
        activation.activationId,
        '-code',
        activation.activationCode,
        '-region',
        region,
        '-y'
      ],
      options
    );
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', error =>
      reject(
        missing(options.agent, error) ??
          new OperationError(`cannot run ${options.agent}: ${error.message}`)
      )
    );
    child.once('close', code => {
      const id = REGISTRATION_LINE.exec(output)?.[1];
      if (code === 0 && id) {
        resolve(id);
        return;
      }
      const last = output.trim().split('\n').pop() ?? '';
      reject(
        new OperationError(
          `${options.agent} -register failed (exit code ${String(code)})${last ? `: ${last}` : ''}`,
          'check the role (SSH_SSM_ROLE) trusts ssm.amazonaws.com and the SSM advanced tier is on (sm-ssh setup check)'
        )
      );
    });
  });
}

export interface IRunningAgent {
  pid?: number;
  /** Resolves when the agent has exited, by itself or by `stop()`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the registered agent in the background. */
export function startAgent(options: IAgentOptions): IRunningAgent {
  const child = spawnAgent([], options);
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    child.once('error', error =>
      reject(
        missing(options.agent, error) ??
          new OperationError(`cannot run ${options.agent}: ${error.message}`)
      )
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    pid: child.pid,
    exited,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited.catch(() => undefined);
      clearTimeout(timer);
    }
  };
}
