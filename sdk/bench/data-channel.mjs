// `npm run bench`: the data channel's speed, latency and memory, measured in one run on loopback beside the
// references (direct ssh and direct TCP to the same servers). Figures and ratios against the targets are
// printed, never asserted: targets live here, not in timed tests.
//
// BENCH_MB (default 256): transfers without the agent's pacing; BENCH_PACED_MB (default 4): per paced session;
// BENCH_FLAT_MB (default 1024): the long in-process download whose memory must stay flat; BENCH_ROUNDS (500): echoes
// measured twice, right after connecting and again after BENCH_WARMUP (3000) more, when the JIT has compiled the hot
// path as it has in any session that has carried a few thousand messages (an ssh login alone carries hundreds).
// BENCH_AWS_PLUGIN: path of an AWS session-manager-plugin you built yourself (reference §10); when set, it is measured
// in the same shapes beside ours (BENCH_AWS_PLUGIN_UP_MB, default 16, caps its slow uploads).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sandboxEnv, startSandbox, startSshd } from '../dist/index.js';
import { proxyEchoTimes } from './support/proxy-echo.mjs';
import { startBenchServers } from './support/servers.mjs';
import { rssOfProcesses, runSsh, sshBaseArgs } from './support/ssh-runner.mjs';
import { THIRD_PARTY_CLIENT, THIRD_PARTY_PROBE } from './third-party.mjs';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const STREAM_CLIENT = fileURLToPath(new URL('./stream-client.mjs', import.meta.url));
const PLUGIN_PROXY = fileURLToPath(new URL('./support/aws-plugin-proxy.mjs', import.meta.url));
const AWS_PLUGIN = process.env.BENCH_AWS_PLUGIN;
const AWS_PLUGIN_UP_MB = Number(process.env.BENCH_AWS_PLUGIN_UP_MB ?? 16);
const MB = Number(process.env.BENCH_MB ?? 256);
const PACED_MB = Number(process.env.BENCH_PACED_MB ?? 4);
const FLAT_MB = Number(process.env.BENCH_FLAT_MB ?? 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000);
const INSTANCE = 'mi-0123456789abcdef0';
/** The plugin's figures on this machine kind (issue 4 §5, reference §8). */
const PLUGIN = { up: 0.81, pacedDown: 0.87, echoMs: 1.44, setupOverS: 0.27 };
const PORTS = { ssh: 22, bulk: 5001, echo: 7 };

for (const [what, path] of [[THIRD_PARTY_CLIENT, THIRD_PARTY_PROBE], ...(AWS_PLUGIN ? [['BENCH_AWS_PLUGIN', AWS_PLUGIN]] : [])]) {
  if (!existsSync(path)) {
    console.error(`bench: ${what} is missing at ${path}${what === THIRD_PARTY_CLIENT ? ': run scripts/bootstrap.sh, which builds it' : ''}`);
    process.exit(2);
  }
}
const sshd = await startSshd();
const servers = await startBenchServers();
const portOf = { [PORTS.ssh]: sshd.port, [PORTS.bulk]: servers.bulkPort, [PORTS.echo]: servers.echoPort };
const resolveTarget = (instanceId, port) =>
  instanceId === INSTANCE && portOf[port] ? { host: '127.0.0.1', port: portOf[port] } : undefined;
const sandboxes = {
  unpaced: await startSandbox({ pacing: false, resolveTarget }),
  paced: await startSandbox({ pacing: true, resolveTarget })
};

const envOf = sandbox => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...sandboxEnv(sandbox) });

const base = sshBaseArgs(sshd.identityFile);
/** The ProxyCommand of each client, as argv (the target and port come last). */
const proxyCommands = {
  proxy: [process.execPath, CLI, 'proxy'],
  'third-party': [THIRD_PARTY_PROBE, 'proxy'],
  ...(AWS_PLUGIN ? { 'aws-plugin': [process.execPath, PLUGIN_PROXY, AWS_PLUGIN] } : {})
};
const portArgs = (client, port) => (client === 'aws-plugin' ? [String(port)] : ['--port', String(port)]);
const proxyRoute = client => [...base, '-o', `ProxyCommand=${proxyCommands[client].join(' ')} %h`, `root@${INSTANCE}`];
const routes = {
  direct: [...base, '-p', String(sshd.port), 'root@127.0.0.1'],
  ...Object.fromEntries(Object.keys(proxyCommands).map(client => [client, proxyRoute(client)]))
};
const routeLabel = {
  direct: 'direct ssh',
  proxy: 'proxy ssh',
  'third-party': 'third-party ssh',
  'aws-plugin': 'AWS plugin ssh (session-manager-plugin)'
};
/** A ProxyCommand client's name in the rows that are not about ssh itself. */
const clientLabel = client => routeLabel[client].replace(' ssh', '');

async function streamClient(spec, sandbox = sandboxes.unpaced) {
  const { stdout } = await promisify(execFile)(process.execPath, [STREAM_CLIENT, JSON.stringify({ target: INSTANCE, ...spec })], {
    env: envOf(sandbox),
    maxBuffer: 1024 * 1024
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function median(times, run) {
  const values = [];
  for (let i = 0; i < times; i++) {
    values.push(await run());
  }
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

const rows = [];
const row = (what, value, unit) => {
  rows.push({ what, value, unit });
  console.error(`  measured ${what}: ${format(value, unit)} ${unit}`);
};
const value = what => rows.find(r => r.what === what)?.value ?? NaN;
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;
const MiB = 1024 * 1024;
const bytes = MB * MiB;
const format = (v, unit) =>
  !Number.isFinite(v) || v < 0 ? 'n/a' : unit === 's' || unit === 'ms' ? v.toFixed(3) : unit === 'MiB' ? v.toFixed(1) : v.toFixed(2);

// 1. Client cost, pacing off. Transfer rates leave out the connection's own setup (the median `ssh … true`).
for (const route of Object.keys(routes)) {
  const env = envOf(sandboxes.unpaced);
  const label = routeLabel[route];
  const setup = await median(5, async () => (await runSsh(routes[route], 'true', { env })).seconds);
  row(`${label}: setup + exit (ssh true)`, setup, 's');
  const down = await median(3, async () => {
    const result = await runSsh(routes[route], `head -c ${bytes} /dev/zero`, { env });
    if (result.received !== bytes) throw new Error(`${label}: received ${result.received} of ${bytes}`);
    return mbps(bytes, result.seconds - setup);
  });
  row(`${label}: ${MB} MiB down`, down, 'MB/s');
  const upMB = route === 'aws-plugin' ? Math.min(MB, AWS_PLUGIN_UP_MB) : MB;
  const up = await median(3, async () =>
    mbps(upMB * MiB, (await runSsh(routes[route], 'cat > /dev/null', { env, stdinBytes: upMB * MiB })).seconds - setup)
  );
  row(`${label}: ${upMB} MiB up`, up, 'MB/s');
}
for (const op of ['down', 'up']) {
  const rate = await median(3, async () => mbps(bytes, (await streamClient({ op, port: PORTS.bulk, bytes })).seconds));
  row(`in-process stream: ${MB} MiB ${op}`, rate, 'MB/s');
}

// 2. Setup and latency.
row('in-process: StartSession to SSH banner', await median(5, async () => (await streamClient({ op: 'banner' })).seconds), 's');
row('direct TCP: connect to SSH banner', await median(5, async () => (await streamClient({ op: 'banner-tcp', port: sshd.port })).seconds), 's');
for (const [label, spec, sandbox] of [
  ['in-process stream, pacing off', { op: 'echo', port: PORTS.echo }, sandboxes.unpaced],
  ['in-process stream, paced agent', { op: 'echo', port: PORTS.echo }, sandboxes.paced],
  ['direct TCP', { op: 'echo-tcp', port: servers.echoPort }, sandboxes.unpaced]
]) {
  const { coldTimes, times } = await streamClient({ ...spec, rounds: ROUNDS, warmup: WARMUP }, sandbox);
  row(`echo round trip, median of the first ${ROUNDS}: ${label}`, coldTimes[Math.floor(coldTimes.length / 2)], 'ms');
  row(`echo round trip, median: ${label}`, times[Math.floor(times.length / 2)], 'ms');
  row(`echo round trip, p99: ${label}`, times[Math.floor(times.length * 0.99)], 'ms');
}
// the same keystroke echo through each ProxyCommand client (a process of its own on stdin/stdout, as ssh runs it)
for (const [pacing, sandbox] of Object.entries({ 'pacing off': sandboxes.unpaced, 'paced agent': sandboxes.paced })) {
  for (const [client, argv] of Object.entries(proxyCommands)) {
    const times = await proxyEchoTimes(argv[0], [...argv.slice(1), INSTANCE, ...portArgs(client, PORTS.echo)], {
      env: envOf(sandbox),
      rounds: ROUNDS,
      warmup: WARMUP
    });
    row(`echo round trip, median: ${clientLabel(client)}, ${pacing}`, times[Math.floor(times.length / 2)], 'ms');
  }
}

// 3. The real-world shape: the agent's pacing. N sessions are paced each; streams in one session share its pace.
const pacedBytes = Math.round(PACED_MB * MiB);
const pacedEnv = envOf(sandboxes.paced);
const single = await runSsh(routes.proxy, `head -c ${pacedBytes} /dev/zero`, { env: pacedEnv });
row(`paced: 1 session (ssh), ${PACED_MB} MiB down`, mbps(pacedBytes, single.seconds), 'MB/s');
for (const client of Object.keys(proxyCommands)) {
  const label = clientLabel(client);
  if (client !== 'proxy') {
    const down = await runSsh(routes[client], `head -c ${pacedBytes} /dev/zero`, { env: pacedEnv });
    row(`paced: 1 session, ${label}, ${PACED_MB} MiB down`, mbps(pacedBytes, down.seconds), 'MB/s');
  }
  const up = await runSsh(routes[client], 'cat > /dev/null', { env: pacedEnv, stdinBytes: pacedBytes });
  row(`paced: 1 session, ${label}, ${PACED_MB} MiB up`, mbps(pacedBytes, up.seconds), 'MB/s');
}
const singleInProcess = await streamClient({ op: 'down', port: PORTS.bulk, bytes: pacedBytes }, sandboxes.paced);
row(`paced: 1 session in-process, ${PACED_MB} MiB down`, mbps(pacedBytes, singleInProcess.seconds), 'MB/s');
let proxiesRss = 0;
const sampler = setInterval(() => (proxiesRss = Math.max(proxiesRss, rssOfProcesses(`${CLI}\0proxy`))), 50);
const started = performance.now();
await Promise.all(Array.from({ length: 8 }, () => runSsh(routes.proxy, `head -c ${pacedBytes} /dev/zero`, { env: pacedEnv })));
clearInterval(sampler);
row(`paced: 8 sessions (ssh), ${PACED_MB} MiB down each, aggregate`, mbps(8 * pacedBytes, (performance.now() - started) / 1000), 'MB/s');
row('memory: 8 sm-ssh proxy processes, RSS in all', proxiesRss / MiB, 'MiB');
const sessions8 = await streamClient({ op: 'parallel', sessions: 8, streams: 1, port: PORTS.bulk, bytes: pacedBytes }, sandboxes.paced);
row(`paced: 8 sessions in one process, ${PACED_MB} MiB down each, aggregate`, mbps(8 * pacedBytes, sessions8.seconds), 'MB/s');
row('memory: one process with 8 sessions, peak RSS', sessions8.peakRss / MiB, 'MiB');
const streams8 = await streamClient({ op: 'parallel', sessions: 1, streams: 8, port: PORTS.bulk, bytes: Math.round(pacedBytes / 8) }, sandboxes.paced);
row(`paced: 8 streams in 1 session, ${PACED_MB} MiB down in all`, mbps(pacedBytes, streams8.seconds), 'MB/s');

// 4. Memory over a long transfer.
const flat = await streamClient({ op: 'down', port: PORTS.bulk, bytes: FLAT_MB * MiB });
row(`memory: ${FLAT_MB} MiB in-process download, RSS at start`, flat.startRss / MiB, 'MiB');
row(`memory: ${FLAT_MB} MiB in-process download, peak RSS`, flat.peakRss / MiB, 'MiB');
row(`${FLAT_MB} MiB in-process download rate`, mbps(FLAT_MB * MiB, flat.seconds), 'MB/s');

console.log(`\nsm-ssh data-channel benchmark (node ${process.version}, loopback, ${MB} MiB unpaced, ${PACED_MB} MiB paced)\n`);
for (const r of rows) {
  console.log(`${r.what.padEnd(66)} ${format(r.value, r.unit).padStart(10)} ${r.unit}`);
}
const ratio = (label, actual, target, higherIsBetter = true) => {
  const met = higherIsBetter ? actual >= target : actual <= target;
  console.log(`  ${label.padEnd(70)} ${actual.toFixed(3).padStart(9)}  target ${higherIsBetter ? '≥' : '≤'} ${target}  ${met ? 'met' : 'MISSED'}`);
};
console.log('\nratios and targets (issue 4 §5)');
ratio('proxy download / direct ssh download', value(`proxy ssh: ${MB} MiB down`) / value(`direct ssh: ${MB} MiB down`), 0.5);
ratio('in-process download / direct ssh download', value(`in-process stream: ${MB} MiB down`) / value(`direct ssh: ${MB} MiB down`), 0.5);
ratio(`proxy upload / the plugin's ${PLUGIN.up} MB/s (×)`, value(`proxy ssh: ${MB} MiB up`) / PLUGIN.up, 100);
ratio(`in-process upload / the plugin's ${PLUGIN.up} MB/s (×)`, value(`in-process stream: ${MB} MiB up`) / PLUGIN.up, 100);
ratio('8 paced sessions / 1 paced session (ssh, ×)', value(`paced: 8 sessions (ssh), ${PACED_MB} MiB down each, aggregate`) / value(`paced: 1 session (ssh), ${PACED_MB} MiB down`), 4);
ratio('8 paced sessions in one process / 1 paced session in-process (×)', value(`paced: 8 sessions in one process, ${PACED_MB} MiB down each, aggregate`) / value(`paced: 1 session in-process, ${PACED_MB} MiB down`), 4);
ratio('CLI setup over direct ssh, s (node start-up included)', value('proxy ssh: setup + exit (ssh true)') - value('direct ssh: setup + exit (ssh true)'), 0.05, false);
ratio('in-process setup over direct TCP, s (StartSession to banner)', value('in-process: StartSession to SSH banner') - value('direct TCP: connect to SSH banner'), 0.05, false);
ratio('echo round trip, in-process, pacing off, ms', value('echo round trip, median: in-process stream, pacing off'), 0.5, false);
ratio('RSS of 8 sessions in one process, MiB', value('memory: one process with 8 sessions, peak RSS'), 150, false);
ratio(`${FLAT_MB} MiB download: peak RSS - RSS at start, MiB`, value(`memory: ${FLAT_MB} MiB in-process download, peak RSS`) - value(`memory: ${FLAT_MB} MiB in-process download, RSS at start`), 64, false);
console.log(`\nthe plugin on this machine kind (reference §8): paced ${PLUGIN.pacedDown} MB/s down, ${PLUGIN.up} MB/s up, echo ${PLUGIN.echoMs} ms, setup +${PLUGIN.setupOverS} s over direct ssh`);
if (AWS_PLUGIN) {
  const plugin = routeLabel['aws-plugin'];
  const pluginClient = clientLabel('aws-plugin');
  console.log('\nAWS plugin measured in this run, beside sm-ssh proxy (×: ours / the plugin)');
  for (const [what, ours, theirs] of [
    ['download, pacing off', `proxy ssh: ${MB} MiB down`, `${plugin}: ${MB} MiB down`],
    ['upload, pacing off', `proxy ssh: ${MB} MiB up`, `${plugin}: ${Math.min(MB, AWS_PLUGIN_UP_MB)} MiB up`],
    ['paced upload', `paced: 1 session, proxy, ${PACED_MB} MiB up`, `paced: 1 session, ${pluginClient}, ${PACED_MB} MiB up`],
    ['paced download', `paced: 1 session (ssh), ${PACED_MB} MiB down`, `paced: 1 session, ${pluginClient}, ${PACED_MB} MiB down`],
    ['echo, pacing off (× faster)', `echo round trip, median: ${pluginClient}, pacing off`, 'echo round trip, median: proxy, pacing off'],
    ['echo, paced agent (× faster)', `echo round trip, median: ${pluginClient}, paced agent`, 'echo round trip, median: proxy, paced agent'],
    ['setup + exit (× faster)', `${plugin}: setup + exit (ssh true)`, 'proxy ssh: setup + exit (ssh true)']
  ]) {
    // a transfer too small to outlast the subtracted setup time gives a negative rate: no ratio then
    const x = value(ours) / value(theirs);
    console.log(`  ${what.padEnd(40)} ${(value(ours) > 0 && value(theirs) > 0 ? x.toFixed(2) : 'n/a').padStart(9)} ×`);
  }
}

await sandboxes.unpaced.close();
await sandboxes.paced.close();
await servers.stop();
await sshd.stop();
