/**
 * moto in server mode, as a child process on a free loopback port: the sandbox's IAM, STS, SageMaker and S3.
 * moto comes from a Python environment (the project's `.venv/` in development); the sandbox only starts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { OperationError, UsageError } from '../errors.js';

export interface IMotoServer {
  url: string;
  /** Wipes every model (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port'))
      );
    });
  });
}

async function waitReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new OperationError(
        `moto_server exited with code ${child.exitCode}: ${output().trim().split('\n').pop() ?? ''}`
      );
    }
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new OperationError(
    `moto_server did not answer on ${url} within ${timeoutMs / 1000} s`
  );
}

/** Starts `moto_server` (path to the executable, e.g. `.venv/bin/moto_server`) on 127.0.0.1 and a free port. */
export async function startMoto(
  motoServer: string,
  options: { timeoutMs?: number } = {}
): Promise<IMotoServer> {
  if (!existsSync(motoServer)) {
    throw new UsageError(
      `${motoServer} does not exist`,
      'install the pinned moto[server] with `bash scripts/bootstrap.sh` (it creates .venv/), or pass the path of your moto_server'
    );
  }
  const port = await freePort();
  let output = '';
  const child = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout?.on(
    'data',
    chunk => (output = (output + String(chunk)).slice(-4096))
  );
  child.stderr?.on(
    'data',
    chunk => (output = (output + String(chunk)).slice(-4096))
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child, () => output, options.timeoutMs ?? 30_000);
  return {
    url,
    reset: async () => {
      await fetch(`${url}/moto-api/reset`, { method: 'POST' });
    },
    stop: () =>
      new Promise<void>(resolve => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })
  };
}
