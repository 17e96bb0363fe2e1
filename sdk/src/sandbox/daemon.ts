/**
 * The life cycle of a running sandbox for `sm-ssh sandbox up|down|status`: a state file that says where it runs
 * and what it serves, a detached launch that returns once the sandbox is ready, and a clean stop.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError, UsageError } from '../errors.js';

/** What `sm-ssh sandbox up --json` prints and `down` reads. */
export interface ISandboxState {
  pid: number;
  url: string;
  motoUrl?: string;
  /** AWS_* variables that point SDKs and the CLI at the sandbox. */
  env: Record<string, string>;
  instances: Array<{
    instanceId: string;
    name: string;
    kind: string;
    owner: string;
    node: number;
    /** The SageMaker resource behind the instance, when the sandbox created it. */
    resourceArn?: string;
  }>;
  /** The demo's Studio spaces, reached through SageMaker remote access (no managed instance). */
  spaces?: Array<{
    /** `<space>.<domain-id>.space.sagemaker`. */
    target: string;
    spaceArn: string;
    remoteAccess: 'ENABLED' | 'DISABLED';
  }>;
  /** A private key the demo instances' sshd accept, if the sandbox made demo instances. */
  identityFile?: string;
  /** The login user of the demo instances. */
  user?: string;
  startedAt: string;
  log?: string;
}

/** Where the state of this user's sandbox lives (one sandbox per user). */
export function sandboxStateFile(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(
    process.env.XDG_RUNTIME_DIR ?? tmpdir(),
    `sm-ssh-sandbox-${uid}`,
    'state.json'
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running sandbox's state, or undefined (a state file whose process is gone is removed). */
export function readSandboxState(
  file = sandboxStateFile()
): ISandboxState | undefined {
  if (!existsSync(file)) {
    return undefined;
  }
  let state: ISandboxState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as ISandboxState;
  } catch {
    rmSync(file, { force: true });
    return undefined;
  }
  if (!alive(state.pid)) {
    rmSync(file, { force: true });
    return undefined;
  }
  return state;
}

/** Writes the state atomically, readable only by the user (it names a private key). */
export function writeSandboxState(
  state: ISandboxState,
  file = sandboxStateFile()
): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, {
    mode: 0o600
  });
  renameSync(temporary, file);
}

export function removeSandboxState(file = sandboxStateFile()): void {
  rmSync(file, { force: true });
}

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
  stepMs = 100
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() >= deadline) {
      return value;
    }
    await new Promise(resolve => setTimeout(resolve, stepMs));
  }
}

/** Stops the sandbox of a state (SIGTERM, then SIGKILL after the timeout); resolves when it is gone. */
export async function stopSandbox(
  state: ISandboxState,
  timeoutMs = 15_000,
  file = sandboxStateFile()
): Promise<void> {
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    removeSandboxState(file);
    return;
  }
  const gone = await waitFor(
    () => (alive(state.pid) ? undefined : true),
    timeoutMs
  );
  if (!gone) {
    process.kill(state.pid, 'SIGKILL');
    await waitFor(() => (alive(state.pid) ? undefined : true), 5_000);
  }
  removeSandboxState(file);
}

/**
 * Starts `node <cli> <args>` detached (its output in a log file beside the state file) and resolves with its state
 * once the child has written it; a child that dies first is reported with the end of its log.
 */
export async function launchDetached(
  cli: string,
  args: string[],
  timeoutMs = 120_000,
  file = sandboxStateFile()
): Promise<ISandboxState> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  removeSandboxState(file);
  const log = join(dirname(file), 'sandbox.log');
  const fd = openSync(log, 'w', 0o600);
  const child = spawn(process.execPath, [cli, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: process.env
  });
  closeSync(fd);
  let exited: number | null = null;
  child.once('exit', code => (exited = code ?? -1));
  child.unref();
  const state = await waitFor(() => {
    if (exited !== null) {
      return null;
    }
    return readSandboxState(file);
  }, timeoutMs);
  if (!state) {
    if (exited === null && child.pid) {
      process.kill(child.pid, 'SIGKILL');
    }
    const tail = existsSync(log)
      ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ')
      : '';
    throw new OperationError(
      `the sandbox did not start${exited !== null ? ` (exit code ${exited})` : ` within ${timeoutMs / 1000} s`}: ${tail}`,
      `see ${log}`
    );
  }
  return { ...state, log };
}

function onPath(command: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(folder, command);
    if (folder && existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/**
 * The moto_server to start: `--moto PATH`, else SM_SSH_MOTO_SERVER, else the project's `.venv/` (in a checkout),
 * else `moto_server` on PATH.
 */
export function findMotoServer(explicit?: string): string {
  const fromCheckout = fileURLToPath(
    new URL('../../../.venv/bin/moto_server', import.meta.url)
  );
  const candidates = [
    explicit,
    process.env.SM_SSH_MOTO_SERVER,
    fromCheckout
  ].filter((path): path is string => Boolean(path));
  const found =
    candidates.find(path => existsSync(path)) ?? onPath('moto_server');
  if (!found) {
    throw new UsageError(
      'moto_server was not found',
      'pip install "moto[server]" (or run scripts/bootstrap.sh in a checkout), or pass --moto PATH / set SM_SSH_MOTO_SERVER'
    );
  }
  return found;
}
