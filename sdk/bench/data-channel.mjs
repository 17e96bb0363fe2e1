// `npm run bench`: throughput and setup time of the data channel, measured in one run on loopback beside the
// references (direct ssh to the same sshd). Figures, not pass/fail: targets are in the issue and the closing note.
// BENCH_MB (default 64) sets the transfer size without pacing; BENCH_PACED_MB (default 2) with the agent's pacing.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SANDBOX_CREDENTIALS, startSandbox, startSshd } from '../dist/index.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MB = Number(process.env.BENCH_MB ?? 64);
const PACED_MB = Number(process.env.BENCH_PACED_MB ?? 2);
const INSTANCE = 'mi-0123456789abcdef0';

const sshd = await startSshd();
const sandboxes = {
  unpaced: await startSandbox({ pacing: false, resolveTarget: () => ({ host: '127.0.0.1', port: sshd.port }) }),
  paced: await startSandbox({ pacing: true, resolveTarget: () => ({ host: '127.0.0.1', port: sshd.port }) })
};

function envOf(sandbox) {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...SANDBOX_CREDENTIALS, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...sandbox.env };
}

function ssh(route, command, { stdinBytes = 0, sandbox } = {}) {
  const base = ['-F', '/dev/null', '-i', sshd.identityFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  const args =
    route === 'direct'
      ? [...base, '-p', String(sshd.port), 'root@127.0.0.1', command]
      : [...base, '-o', `ProxyCommand=${process.execPath} ${CLI} proxy %h`, `root@${INSTANCE}`, command];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('ssh', args, { env: envOf(sandbox ?? sandboxes.unpaced), stdio: ['pipe', 'pipe', 'inherit'] });
    let received = 0;
    child.stdout.on('data', chunk => (received += chunk.length));
    child.once('error', reject);
    child.once('close', code => (code === 0 ? resolve({ seconds: (performance.now() - started) / 1000, received }) : reject(new Error(`ssh exited with ${code}`))));
    const chunk = Buffer.alloc(1024 * 1024);
    let left = stdinBytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
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

const rows = [];
const row = (what, value, unit, reference) => rows.push({ what, value, unit, reference });
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;
const bytes = MB * 1024 * 1024;

// Transfer rates leave out the connection's own setup (the median `ssh … true` of the same route).
for (const route of ['direct', 'proxy']) {
  const setup = await median(5, async () => (await ssh(route, 'true')).seconds);
  const down = await median(3, async () => {
    const result = await ssh(route, `head -c ${bytes} /dev/zero`);
    if (result.received !== bytes) throw new Error(`received ${result.received} of ${bytes}`);
    return mbps(bytes, result.seconds - setup);
  });
  const up = await median(3, async () => mbps(bytes, (await ssh(route, 'cat > /dev/null', { stdinBytes: bytes })).seconds - setup));
  row(`${route}: ssh true (setup + exit)`, setup, 's');
  row(`${route}: ${MB} MiB down`, down, 'MB/s');
  row(`${route}: ${MB} MiB up`, up, 'MB/s');
}

const pacedBytes = PACED_MB * 1024 * 1024;
const single = await ssh('proxy', `head -c ${pacedBytes} /dev/zero`, { sandbox: sandboxes.paced });
row(`paced agent: 1 session, ${PACED_MB} MiB down`, mbps(pacedBytes, single.seconds), 'MB/s');
const started = performance.now();
await Promise.all(Array.from({ length: 8 }, () => ssh('proxy', `head -c ${pacedBytes} /dev/zero`, { sandbox: sandboxes.paced })));
row(`paced agent: 8 sessions, ${PACED_MB} MiB down each (aggregate)`, mbps(8 * pacedBytes, (performance.now() - started) / 1000), 'MB/s');

const value = what => rows.find(r => r.what.startsWith(what))?.value;
console.log(`\nsm-ssh data-channel benchmark (node ${process.version}, loopback, sshd ${sshd.port})\n`);
for (const r of rows) {
  console.log(`${r.what.padEnd(52)} ${r.value.toFixed(r.unit === 's' ? 3 : 2).padStart(10)} ${r.unit}`);
}
console.log('\nratios');
console.log(`  proxy/direct download   ${(value('proxy: ' + MB + ' MiB down') / value('direct: ' + MB + ' MiB down')).toFixed(3)}  (target ≥ 0.5)`);
console.log(`  proxy upload / 0.81 MB/s (the plugin's paced upload, reference §8)   ${(value('proxy: ' + MB + ' MiB up') / 0.81).toFixed(1)}×  (target ≥ 100×)`);
console.log(`  setup overhead over direct ssh   ${(value('proxy: ssh true') - value('direct: ssh true')).toFixed(3)} s  (target ≤ 0.05 s)`);
console.log(`  8 paced sessions / 1 paced session   ${(value('paced agent: 8') / value('paced agent: 1')).toFixed(2)}×  (target ≥ 4×)`);

await sandboxes.unpaced.close();
await sandboxes.paced.close();
await sshd.stop();
