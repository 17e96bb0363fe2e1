// Keystroke echo through a ProxyCommand-style client (sm-ssh proxy, the third-party probe, AWS's plugin): the
// client runs as a child process against the instance's echo port, one byte goes to its stdin and the time until
// it comes back on its stdout is one round trip. This is what a key press pays in an interactive ssh session, less
// ssh's own work, and it is the same shape for every client. Anything the client prints before the session is up
// (the plugin's "Starting session with SessionId: …") is skipped: the marker byte appears in none of it.
import { spawn } from 'node:child_process';

const MARK = 0x23; // '#'

/**
 * @param {string} command the client's executable
 * @param {string[]} args its arguments (target and port included)
 * @param {{ env: NodeJS.ProcessEnv, rounds: number, warmup?: number, warmupMs?: number, readyTimeoutMs?: number }} options
 *   warmup: echoes before measuring, for at most warmupMs (default 10 s: a client with a 44 ms echo warms up no faster)
 * @returns {Promise<number[]>} round trips in ms, sorted
 */
export async function proxyEchoTimes(command, args, { env, rounds, warmup = 20, warmupMs = 10_000, readyTimeoutMs = 15_000 }) {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((_, reject) =>
    child.once('exit', code => reject(new Error(`${command} exited with ${code} during the echo test`)))
  );
  exited.catch(() => undefined);
  let waiting;
  child.stdout.on('data', chunk => {
    if (waiting && chunk.includes(MARK)) {
      const done = waiting;
      waiting = undefined;
      done();
    }
  });
  const once = timeoutMs =>
    Promise.race([
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error('timeout'));
        }, timeoutMs);
        waiting = () => {
          clearTimeout(timer);
          resolve();
        };
        child.stdin.write(Buffer.from([MARK]));
      }),
      exited
    ]);
  try {
    // until the session carries bytes, a mark may be lost or answered late: retry, then drain stragglers
    const readyBy = performance.now() + readyTimeoutMs;
    for (;;) {
      try {
        await once(500);
        break;
      } catch (error) {
        if (error.message !== 'timeout' || performance.now() > readyBy) throw error;
      }
    }
    await new Promise(resolve => setTimeout(resolve, 600));
    const warmUntil = performance.now() + warmupMs;
    for (let i = 0; i < warmup && performance.now() < warmUntil; i++) await once(5_000);
    const times = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await once(5_000);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
  }
}
