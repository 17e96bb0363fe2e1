/// <reference types="node" />
/**
 * A real `sm-ssh serve` for the client tests: the built CLI (`node sdk/dist/cli/main.js serve --port 0`) as a
 * child process with a private HOME and no AWS credentials, its port read from its "listening on" line.
 * Requests reach it as jupyter-server-proxy forwards them: with `X-Forwarded-Prefix: /sm-ssh`.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

export const CLI = resolve(__dirname, '../../../sdk/dist/cli/main.js');

export interface IRunningBridge {
  port: number;
  origin: string;
  stop(): Promise<void>;
}

export function bridgeBuilt(): boolean {
  return existsSync(CLI);
}

export async function startBridge(): Promise<IRunningBridge> {
  const home = mkdtempSync(join(tmpdir(), 'sm-ssh-ext-test-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true'
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--config-dir', join(home, 'cfg')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let output = '';
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`sm-ssh serve did not listen in 20 s: ${output}`)),
      20_000
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        done(Number(found[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', code => {
      clearTimeout(timer);
      fail(new Error(`sm-ssh serve exited (${code}): ${output}`));
    });
  });
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise(done => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    }
  };
}

/** `fetch` as jupyter-server-proxy would send it on: the prefix header, and the cookies a browser would add. */
export function proxiedFetch(cookie?: () => string | undefined): typeof fetch {
  return (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input as RequestInfo, init);
    request.headers.set('X-Forwarded-Prefix', '/sm-ssh');
    const value = cookie?.();
    if (value) {
      request.headers.set('Cookie', value);
    }
    return fetch(request);
  };
}
