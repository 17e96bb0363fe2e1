// The third-party client in the benchmark's shape: aws-ssm-bridge (crates.io, MIT, an independent Rust
// implementation of the Session Manager data channel), through the probe that scripts/bootstrap.sh builds from
// sdk/test/third-party/ssm-bridge-probe, as OpenSSH's ProxyCommand (AWS-StartSSHSession) against a running sandbox.
// Same shapes as data-channel.mjs: `head -c N /dev/zero` down, `cat > /dev/null` up, the median `ssh … true` (setup
// and exit) subtracted from each transfer.
//
//   import { measureThirdParty } from './third-party.mjs';
//   const r = await measureThirdParty({ sandbox, sshd, mib: 256 });
//   // { client, probe, mib, setupSeconds, downloadMBps, uploadMBps }
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sandboxEnv } from '../dist/index.js';

/** The built probe (scripts/bootstrap.sh). */
export const THIRD_PARTY_PROBE = fileURLToPath(new URL('../../.cache/ssm-bridge-probe/bin/ssm-bridge-probe', import.meta.url));
/** What is measured, for the benchmark's table. */
export const THIRD_PARTY_CLIENT = 'aws-ssm-bridge 0.6.0 (Rust, crates.io)';

const CHUNK = Buffer.alloc(1024 * 1024);
const MiB = 1024 * 1024;

function runSsh(args, command, env, stdinBytes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('ssh', [...args, command], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let received = 0;
    child.stdout.on('data', chunk => (received += chunk.length));
    child.once('error', reject);
    child.once('close', code =>
      code === 0
        ? resolve({ seconds: (performance.now() - started) / 1000, received })
        : reject(new Error(`ssh through ${THIRD_PARTY_CLIENT} exited with ${code}`))
    );
    child.stdin.on('error', () => undefined);
    let left = stdinBytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
        left -= piece.length;
        if (!child.stdin.write(piece)) {
          child.stdin.once('drain', pump);
          return;
        }
      }
      child.stdin.end();
    };
    pump();
  });
}

async function median(times, run) {
  const values = [];
  for (let i = 0; i < times; i++) {
    values.push(await run());
  }
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/**
 * Download and upload rates of `mib` MiB through the third-party client, against `sandbox` (from startSandbox;
 * pacing as the caller chose) whose `instanceId` resolves to `sshd` (from startSshd) on port 22.
 *
 * @param {{ sandbox: import('../dist/index.js').ISandbox, sshd: import('../dist/index.js').ISshd,
 *           instanceId?: string, mib?: number, runs?: number }} options
 *   runs: transfers per direction, the median is kept (default 3); setup is the median of 5 `ssh … true`.
 * @returns {Promise<{ client: string, probe: string, mib: number, setupSeconds: number,
 *                     downloadMBps: number, uploadMBps: number }>} MB/s are 10^6 bytes per second.
 */
export async function measureThirdParty({ sandbox, sshd, instanceId = 'mi-0123456789abcdef0', mib = 64, runs = 3 }) {
  if (!existsSync(THIRD_PARTY_PROBE)) {
    throw new Error(`${THIRD_PARTY_PROBE} is missing: run scripts/bootstrap.sh (it builds ${THIRD_PARTY_CLIENT} with cargo)`);
  }
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...sandboxEnv(sandbox) };
  const args = [
    '-F', '/dev/null', '-i', sshd.identityFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', `ProxyCommand=${THIRD_PARTY_PROBE} proxy %h`, `root@${instanceId}`
  ];
  const bytes = Math.round(mib * MiB);
  const rate = seconds => bytes / 1e6 / seconds;
  const setupSeconds = await median(5, async () => (await runSsh(args, 'true', env, 0)).seconds);
  const downloadMBps = await median(runs, async () => {
    const result = await runSsh(args, `head -c ${bytes} /dev/zero`, env, 0);
    if (result.received !== bytes) {
      throw new Error(`${THIRD_PARTY_CLIENT}: received ${result.received} of ${bytes} bytes`);
    }
    return rate(result.seconds - setupSeconds);
  });
  const uploadMBps = await median(runs, async () => rate((await runSsh(args, 'cat > /dev/null', env, bytes)).seconds - setupSeconds));
  return { client: THIRD_PARTY_CLIENT, probe: THIRD_PARTY_PROBE, mib, setupSeconds, downloadMBps, uploadMBps };
}

// `node bench/third-party.mjs [MiB]`: the figures alone, unpaced, against a sandbox and sshd of its own.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { startSandbox, startSshd } = await import('../dist/index.js');
  const mib = Number(process.argv[2] ?? process.env.BENCH_MB ?? 64);
  const sshd = await startSshd();
  const sandbox = await startSandbox({ pacing: process.env.BENCH_PACING === '1', resolveTarget: () => ({ host: '127.0.0.1', port: sshd.port }) });
  try {
    const r = await measureThirdParty({ sandbox, sshd, mib });
    console.log(`${r.client}, ${mib} MiB, agent pacing ${process.env.BENCH_PACING === '1' ? 'on' : 'off'}`);
    console.log(`  setup + exit (ssh true)  ${r.setupSeconds.toFixed(3)} s`);
    console.log(`  download                 ${r.downloadMBps.toFixed(2)} MB/s`);
    console.log(`  upload                   ${r.uploadMBps.toFixed(2)} MB/s`);
  } finally {
    await sandbox.close();
    await sshd.stop();
  }
}
