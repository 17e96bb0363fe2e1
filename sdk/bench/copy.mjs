// `npm run bench` (after resolve.mjs): `sm-ssh cp` in parallel ranges. The agent paces every Session Manager session
// (1 KiB, then 1 ms, as amazon-ssm-agent does), so one session caps a copy however fast the link is; `cp --parallel N`
// splits the file over N SSH connections, each on its own session. This measures that split on the sandbox's demo
// transform instance (a real sshd): a random file uploaded and downloaded with openSshConnections (openSsh ×N, one
// resolution) + sftpOf + copyFile for each N, SHA-256 checked on both ends every time, on the paced agent (the
// sandbox's default, faithful to the real one) and with pacing off (the ceiling: what the client and sshd carry
// without the agent's pace). Then the real CLI once per direction (`node dist/cli/main.js cp --parallel 4 …` as a
// process, start-up, resolution, key delivery and sessions included). Exit 1 on any SHA-256 mismatch, never for speed.
//
// BENCH_COPY_MB (default 64): the file's size in MiB; BENCH_COPY_WAYS (default 1,2,4,8): the N measured;
// BENCH_COPY_CLI_WAYS (default 4): --parallel of the CLI run; BENCH_COPY_UP_ROUNDS (default 3): uploads per N, the
// median counts (an upload is not paced by the agent and takes seconds; a paced download of 64 MiB over one session
// takes 80 s, so it runs once). MB/s are 10^6 bytes a second of the copy alone (copyFile, after the connections are
// up); the connections' setup is its own column.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AwsClients } from '../dist/aws/index.js';
import {
  createDemoFleet,
  findMotoServer,
  SANDBOX_CREDENTIALS,
  sandboxCaller,
  sandboxEnv,
  startSandbox
} from '../dist/sandbox/index.js';
import {
  copyFile,
  openSshConnections,
  runCommand,
  sftpOf,
  statePaths
} from '../dist/ssh/index.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MB = Number(process.env.BENCH_COPY_MB ?? 64);
const WAYS = (process.env.BENCH_COPY_WAYS ?? '1,2,4,8').split(',').map(Number);
const CLI_WAYS = Number(process.env.BENCH_COPY_CLI_WAYS ?? 4);
const UP_ROUNDS = Number(process.env.BENCH_COPY_UP_ROUNDS ?? 3);
const TARGET = 'ssh-transform-demo.transform.sagemaker';
const MiB = 1024 * 1024;

if (
  !(MB > 0) ||
  !WAYS.every(n => Number.isInteger(n) && n >= 1 && n <= 16) ||
  !Number.isInteger(CLI_WAYS) ||
  CLI_WAYS < 1 ||
  CLI_WAYS > 16 ||
  !Number.isInteger(UP_ROUNDS) ||
  UP_ROUNDS < 1
) {
  console.error(
    'bench: BENCH_COPY_MB must be > 0, BENCH_COPY_WAYS a list of integers from 1 to 16, BENCH_COPY_CLI_WAYS one, BENCH_COPY_UP_ROUNDS ≥ 1'
  );
  process.exit(2);
}
let motoServer;
try {
  motoServer = findMotoServer();
} catch (error) {
  console.error(
    `bench: ${error.message} (${error.hint ?? 'run scripts/bootstrap.sh'})`
  );
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-bench-copy-'));
const bytes = Math.round(MB * MiB);
const data = randomBytes(bytes);
const source = join(scratch, 'source.bin');
writeFileSync(source, data);
const sha = createHash('sha256').update(data).digest('hex');
const shaOfFile = path =>
  createHash('sha256').update(readFileSync(path)).digest('hex');
const credentials = async () => ({
  accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
});
const mbps = (n, ms) => n / 1e6 / (ms / 1000);
const median = values =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mismatches = [];

async function remoteRun(connection, command) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', chunk => (out += String(chunk)));
  stderr.on('data', chunk => (err += String(chunk)));
  const code = await runCommand(connection.client, command, {
    stdout,
    stderr
  });
  if (code !== 0) {
    throw new Error(`${command} exited with ${code}: ${err.trim()}`);
  }
  return out;
}

async function remoteSha(connection, path) {
  return (await remoteRun(connection, `sha256sum ${path}`)).split(' ')[0];
}

/** A sandbox with moto and the demo fleet (real sshd hosts), owned by the caller its STS names. */
async function cloud(pacing) {
  const sandbox = await startSandbox({ motoServer, pacing });
  await createDemoFleet(sandbox.ssm.instances, {
    owner: await sandboxCaller(sandbox),
    cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker }
  });
  return sandbox;
}

/** Upload, then download, over N sessions; SHA-256 of the remote copy and of the copy back. */
async function measureWays(clients, paths, pacing, ways) {
  const remotePath = `/tmp/sm-ssh-bench-copy-${randomBytes(4).toString('hex')}.bin`;
  const back = join(scratch, `back-${ways}.bin`);
  const connecting = performance.now();
  const connections = await openSshConnections(clients, TARGET, ways, {
    paths,
    timeoutMs: 0
  });
  const connectMs = performance.now() - connecting;
  try {
    const sftps = await Promise.all(connections.map(c => sftpOf(c.client)));
    const what = `${pacing}, ${ways} session${ways === 1 ? '' : 's'}`;
    const check = (direction, got) => {
      if (got !== sha) {
        mismatches.push(`${what}: ${direction} gave ${got}, sent ${sha}`);
      }
      return got === sha;
    };
    // uploads take seconds and share two cores with sshd and the agent: the median of UP_ROUNDS, each one checked
    const upTimes = [];
    let up;
    let upOk = true;
    for (let round = 0; round < UP_ROUNDS; round++) {
      const started = performance.now();
      up = await copyFile({
        sftps,
        direction: 'upload',
        localPath: source,
        remotePath
      });
      upTimes.push(performance.now() - started);
      upOk =
        check('upload', await remoteSha(connections[0], remotePath)) && upOk;
    }
    const started = performance.now();
    const down = await copyFile({
      sftps,
      direction: 'download',
      localPath: back,
      remotePath
    });
    const downMs = performance.now() - started;
    const downOk = check('download', shaOfFile(back));
    await remoteRun(connections[0], `rm -f ${remotePath}`);
    rmSync(back, { force: true });
    const row = {
      pacing,
      ways,
      ranges: Math.max(up.ranges, down.ranges),
      connectMs,
      up: mbps(bytes, median(upTimes)),
      down: mbps(bytes, downMs),
      ok: upOk && downOk
    };
    console.error(
      `  measured ${what}: up ${row.up.toFixed(2)} MB/s, down ${row.down.toFixed(2)} MB/s, connect ${connectMs.toFixed(0)} ms, SHA-256 ${row.ok ? 'ok' : 'MISMATCH'}`
    );
    return row;
  } finally {
    await Promise.all(connections.map(c => c.close()));
  }
}

/** `sm-ssh cp --parallel N` as a process, timed from spawn to exit; its --json result has the copy's own time. */
async function cliCopy(sandbox, from, to) {
  const home = join(scratch, 'cli-home');
  const started = performance.now();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI, 'cp', '--parallel', String(CLI_WAYS), '--json', from, to],
    {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        SM_SSH_CONFIG_DIR: join(home, 'sm-ssh'),
        ...sandboxEnv(sandbox)
      },
      maxBuffer: 1024 * 1024
    }
  );
  const wallMs = performance.now() - started;
  const result = JSON.parse(stdout);
  return { wallMs, copyS: result.seconds, sessions: result.sessions };
}

/** `cp --parallel CLI_WAYS` up, then back down, as processes; SHA-256 of the remote copy and of the copy back. */
async function measureCli(sandbox, clients, paths) {
  const remotePath = `/tmp/sm-ssh-bench-cli-${randomBytes(4).toString('hex')}.bin`;
  const back = join(scratch, 'cli-back.bin');
  const up = await cliCopy(sandbox, source, `${TARGET}:${remotePath}`);
  const down = await cliCopy(sandbox, `${TARGET}:${remotePath}`, back);
  const downSha = shaOfFile(back);
  rmSync(back, { force: true });
  const [check] = await openSshConnections(clients, TARGET, 1, {
    paths,
    timeoutMs: 0
  });
  let upSha;
  try {
    upSha = await remoteSha(check, remotePath);
    await remoteRun(check, `rm -f ${remotePath}`);
  } finally {
    await check.close();
  }
  if (upSha !== sha) {
    mismatches.push(`CLI upload arrived as ${upSha}, sent ${sha}`);
  }
  if (downSha !== sha) {
    mismatches.push(`CLI download came back as ${downSha}, sent ${sha}`);
  }
  const runs = [
    { direction: 'up', ...up, ok: upSha === sha },
    { direction: 'down', ...down, ok: downSha === sha }
  ];
  for (const run of runs) {
    console.error(
      `  measured sm-ssh cp --parallel ${CLI_WAYS}, ${run.direction}: ${run.wallMs.toFixed(0)} ms as a process, SHA-256 ${run.ok ? 'ok' : 'MISMATCH'}`
    );
  }
  return runs;
}

const rows = [];
const cliRows = [];
// both clouds start at once (moto and the fleet's hosts take seconds); they are measured one after the other
const clouds = Object.entries({
  'paced agent': cloud(true),
  'pacing off': cloud(false)
});
try {
  for (const [pacing, starting] of clouds) {
    const sandbox = await starting;
    Object.assign(process.env, sandboxEnv(sandbox));
    const clients = new AwsClients('us-east-1', credentials);
    const paths = statePaths(
      join(scratch, `config-${pacing.replace(' ', '-')}`)
    );
    for (const ways of WAYS) {
      rows.push(await measureWays(clients, paths, pacing, ways));
    }
    if (pacing === 'paced agent') {
      cliRows.push(...(await measureCli(sandbox, clients, paths)));
    }
  }
} finally {
  await Promise.allSettled(
    clouds.map(([, starting]) => starting.then(sandbox => sandbox.close()))
  );
  rmSync(scratch, { recursive: true, force: true });
}

console.log(
  `\nsm-ssh cp benchmark (node ${process.version}, loopback, ${MB} MiB random file, demo transform instance, real sshd)\n`
);
console.log(
  `${'agent / sessions'.padEnd(26)} ${'up MB/s'.padStart(9)} ${'× N=1'.padStart(7)} ${'down MB/s'.padStart(10)} ${'× N=1'.padStart(7)} ${'connect ms'.padStart(11)}  SHA-256`
);
for (const row of rows) {
  const base = rows.find(r => r.pacing === row.pacing && r.ways === 1);
  const x = (value, of) => (of ? (value / of).toFixed(2) : 'n/a');
  console.log(
    `${`${row.pacing}, N=${row.ways}`.padEnd(26)} ${row.up.toFixed(2).padStart(9)} ${x(row.up, base?.up).padStart(7)} ${row.down.toFixed(2).padStart(10)} ${x(row.down, base?.down).padStart(7)} ${row.connectMs.toFixed(0).padStart(11)}  ${row.ok ? 'ok' : 'MISMATCH'}`
  );
}
console.log(
  `\nMB/s: 10^6 bytes/s of copyFile alone (up: the median of ${UP_ROUNDS} uploads; down: one download); connect ms: openSshConnections for N sessions (the first N=1 includes the key delivery)`
);
for (const run of cliRows) {
  console.log(
    `sm-ssh cp --parallel ${CLI_WAYS} (a process), ${run.direction.padEnd(4)}: ${(run.wallMs / 1000).toFixed(2).padStart(6)} s in all, ${mbps(bytes, run.wallMs).toFixed(2).padStart(6)} MB/s; its copy alone ${run.copyS.toFixed(2)} s, ${mbps(bytes, run.copyS * 1000).toFixed(2)} MB/s over ${run.sessions} sessions  SHA-256 ${run.ok ? 'ok' : 'MISMATCH'}`
  );
}
if (mismatches.length > 0) {
  console.log(`\nSHA-256 MISMATCH:\n  ${mismatches.join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
