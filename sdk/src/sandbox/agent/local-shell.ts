/**
 * How the stand-in agent runs a Run Command script: `/bin/sh -c` in the agent's own environment (inside its
 * container, as the real agent runs them), as root, in a process group of its own so that a timeout or a cancel
 * kills the script and everything it started.
 */
import { spawn } from 'node:child_process';
import {
  supervise,
  type IRunningScript,
  type IRunOptions,
  type IScriptRunner
} from '../instances/script-run.js';

export class LocalShell implements IScriptRunner {
  private readonly running = new Set<IRunningScript>();

  /** `env`: the agent's environment, which its scripts inherit. */
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  run(script: string, options: IRunOptions = {}): IRunningScript {
    const child = spawn('/bin/sh', ['-c', script], {
      cwd: options.cwd ?? '/',
      env: { ...this.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    });
    const killGroup = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }
    };
    const handle = supervise(child, killGroup, options);
    this.running.add(handle);
    void handle.result.then(() => this.running.delete(handle));
    return handle;
  }

  /** Kills every running script and waits for them to end. */
  async stop(): Promise<void> {
    const all = [...this.running];
    all.forEach(script => script.cancel());
    await Promise.all(all.map(script => script.result));
  }
}
