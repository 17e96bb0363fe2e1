// `npm run bench` (after data-channel.mjs): name → managed instance with BENCH_INSTANCES (default 10,000) managed
// instances registered in one sandbox, measured as AWS calls (counted by the sandbox) and wall time, for our
// resolveTarget (a server-side `tag:SSHResourceName` filter) beside the original project's algorithm (every instance,
// then one ListTagsForResource each) on the same sandbox. Figures, ratios and the issue's targets are printed; the
// exit code is 1 only when our path finds the wrong instance, never for speed.
//
// BENCH_RESOLVE_ROUNDS (default 5): timed runs of our path after its first one in the process (which loads the SDK).
// Instances are registered without hosts (no sshd): resolution only reads the control plane.
//
// Then name → prompt (issue 5 §5, target ≤ 6 AWS calls) on the same sandbox, beside those instances: the demo fleet
// (real sshd hosts, its SageMaker resources in moto) joins it, and `openSsh` of the SDK runs up to a ready SSH
// connection for (a) a first connect from a fresh config dir (key delivery: SendCommand + GetCommandInvocation), (b) a
// reconnect (delivery skipped), (c) node 2 of the 2-node job from a fresh config dir, and (a) for a one-node job;
// (d) the original project's flow (support/original-connect.mjs) once, its 5 s sleep included; and
// `sm-ssh connect <target> -- hostname` as a process, spawn to exit. Calls that instances' own agents make
// (EC2Messages.*, SSM.UpdateInstanceInformation) are left out and reported apart. BENCH_PROMPT_ROUNDS (default 5):
// runs of each row but the original; exit 1 also when a row reaches the wrong instance or its command fails there.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AwsClients,
  createAwsClients,
  createDemoFleet,
  findMotoServer,
  openSsh,
  resolveTarget,
  runCommand,
  SANDBOX_CREDENTIALS,
  sandboxEnv,
  startSandbox,
  statePaths
} from '../dist/index.js';
import { originalConnect } from './support/original-connect.mjs';
import { originalInstanceIds } from './support/original-resolve.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_RESOLVE_ROUNDS ?? 5);
const PROMPT_ROUNDS = Number(process.env.BENCH_PROMPT_ROUNDS ?? 5);
/** Issue 5 §5: resolution with 10,000 managed instances registered. */
const TARGET = { instances: 10_000, calls: 3, ms: 500 };
/** Issue 5 §5: name → prompt. */
const PROMPT_TARGET = { calls: 6 };
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ACCOUNT = '123456789012';
const NOW = Math.floor(Date.now() / 1000);
const KINDS = [
  'training-job',
  'processing-job',
  'transform-job',
  'notebook-instance'
];

if (
  !Number.isInteger(INSTANCES) ||
  INSTANCES < 4 ||
  !Number.isInteger(ROUNDS) ||
  ROUNDS < 1 ||
  !Number.isInteger(PROMPT_ROUNDS) ||
  PROMPT_ROUNDS < 1
) {
  console.error(
    'bench: BENCH_INSTANCES must be an integer ≥ 4, BENCH_RESOLVE_ROUNDS and BENCH_PROMPT_ROUNDS ≥ 1'
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

const sandbox = await startSandbox({ motoServer });
Object.assign(process.env, sandboxEnv(sandbox));
const clients = await createAwsClients();
const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
const caller = (await clients.sts().send(new GetCallerIdentityCommand({})))
  .UserId;

const arnOf = (type, name) =>
  `arn:aws:sagemaker:us-east-1:${ACCOUNT}:${type}/${name}`;
const sshTags = (type, name, timestamp, owner = caller) => ({
  SSHOwner: owner,
  SSHCreator: 'AROAEXAMPLECONTAINER:SageMaker',
  SSHTimestamp: String(timestamp),
  SSHResourceName: name,
  SSHResourceArn: arnOf(type, name)
});

// The instances the cases look for: a 2-node training job, a processing job of the same name registered later (only
// the ARN tells it apart), and a one-node processing job. The rest are other users' and other jobs' instances, and
// one in five a plain managed server without SSH tags. The training job's nodes register 30 s apart, as one run, so
// their host names number them (algo-2 is node 2); it is also the older, which node 2 is for the original.
const wanted = {
  trainNewest: {
    tags: sshTags('training-job', 'bench-train', NOW - 60),
    computerName: 'algo-1'
  },
  trainOlder: {
    tags: sshTags('training-job', 'bench-train', NOW - 90),
    computerName: 'algo-2'
  },
  sameNameProcessing: {
    tags: sshTags('processing-job', 'bench-train', NOW - 30)
  },
  processing: { tags: sshTags('processing-job', 'bench-proc', NOW - 120) }
};
const others = Array.from(
  { length: INSTANCES - Object.keys(wanted).length },
  (_, i) =>
    i % 5 === 0
      ? { name: `server-${i}`, tags: { Name: `server-${i}` } }
      : {
          tags: sshTags(
            KINDS[i % KINDS.length],
            `job-${i}`,
            NOW - i,
            i % 2 ? caller : 'AIDAOTHERUSEREXAMPLE'
          )
        }
);
const registered = performance.now();
const ids = {};
for (let i = 0; i < others.length; i++) {
  if (i === Math.floor(others.length / 2)) {
    for (const [key, launch] of Object.entries(wanted)) {
      ids[key] = (
        await sandbox.ssm.instances.launch({ host: false, ...launch })
      ).instanceId;
    }
  }
  await sandbox.ssm.instances.launch({ host: false, ...others[i] });
}
console.error(
  `  registered ${INSTANCES.toLocaleString('en-US')} managed instances in ${((performance.now() - registered) / 1000).toFixed(1)} s`
);

const cases = [
  {
    target: 'bench-train.training.sagemaker',
    node: 2,
    type: 'training-job',
    name: 'bench-train',
    expected: ids.trainOlder
  },
  {
    target: 'bench-proc.processing.sagemaker',
    node: 1,
    type: 'processing-job',
    name: 'bench-proc',
    expected: ids.processing
  }
];

// Each path turns a case into an instance id; its calls are what the sandbox counted meanwhile. The first path is the
// baseline of the ratios. Name → prompt has its own ways below (`promptWays`): it ends at an SSH connection, not at an
// instance id.
const paths = [
  {
    label: 'sm-ssh resolveTarget (tag filter)',
    mustFindExpected: true,
    rounds: ROUNDS,
    targets: { calls: TARGET.calls, ms: TARGET.ms },
    find: async c =>
      (await resolveTarget(clients, c.target, { node: c.node, timeoutMs: 0 }))
        .instance.instanceId
  },
  {
    label: 'original (ListTagsForResource per instance)',
    rounds: 0,
    find: async c =>
      (await originalInstanceIds(clients.ssm(), c.type, c.name))[c.node - 1]
  }
];

async function measure(run) {
  sandbox.calls.reset();
  const started = performance.now();
  const found = await run();
  return {
    found,
    ms: performance.now() - started,
    calls: sandbox.calls.total,
    breakdown: sandbox.calls.snapshot()
  };
}

const median = values =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const c of cases) {
  for (const path of paths) {
    const first = await measure(() => path.find(c));
    const again = [];
    for (let i = 0; i < path.rounds; i++) {
      again.push(await measure(() => path.find(c)));
    }
    const runs = [first, ...again];
    const wrong = runs.find(run => run.found !== c.expected);
    const row = {
      case: c,
      path,
      firstMs: first.ms,
      ms: again.length ? median(again.map(run => run.ms)) : first.ms,
      calls: Math.max(...runs.map(run => run.calls)),
      steadyCalls: runs.every(run => run.calls === first.calls),
      breakdown: runs.at(-1).breakdown,
      wrong: wrong !== undefined,
      wrongFound: wrong?.found
    };
    rows.push(row);
    console.error(
      `  measured ${c.target} --node ${c.node}, ${path.label}: ${row.calls} calls, ${row.ms.toFixed(1)} ms`
    );
  }
}

const int = n => n.toLocaleString('en-US');
const breakdownText = breakdown =>
  Object.entries(breakdown)
    .map(([what, n]) => `${what} ${int(n)}`)
    .join(', ');
console.log(
  `\nsm-ssh resolution benchmark (node ${process.version}, loopback, ${int(INSTANCES)} managed instances in the sandbox)\n`
);
console.log(
  `${'target / path'.padEnd(48)} ${'AWS calls'.padStart(10)} ${'wall ms'.padStart(10)} ${'first ms'.padStart(10)}`
);
for (const c of cases) {
  console.log(`${c.target} --node ${c.node}`);
  for (const row of rows.filter(r => r.case === c)) {
    console.log(
      `  ${row.path.label.padEnd(46)} ${int(row.calls).padStart(10)} ${row.ms.toFixed(1).padStart(10)} ${row.firstMs.toFixed(1).padStart(10)}`
    );
    console.log(
      `    ${breakdownText(row.breakdown)}${row.steadyCalls ? '' : ' (calls varied between runs)'}`
    );
  }
}
console.log(
  `\nwall ms: median of ${ROUNDS} runs after the first in the process (first ms: SDK loading included); the original runs once`
);

console.log('\nratios (original / ours, ×)');
for (const c of cases) {
  const [ours, ...rest] = rows.filter(r => r.case === c);
  for (const row of rest) {
    console.log(
      `  ${`${c.target}, ${row.path.label}`.padEnd(86)} calls ${(row.calls / ours.calls).toFixed(0).padStart(6)} ×   time ${(row.ms / ours.ms).toFixed(0).padStart(6)} ×`
    );
  }
}

const scale =
  INSTANCES === TARGET.instances
    ? ''
    : ` (the targets are for ${int(TARGET.instances)} instances; this run has ${int(INSTANCES)})`;
console.log(
  `\ntargets (issue 5 §5, resolution with ${int(TARGET.instances)} managed instances)${scale}`
);
const verdict = met => (met ? 'met' : 'MISSED');
for (const row of rows.filter(r => r.path.targets)) {
  const { calls, ms } = row.path.targets;
  const label = `${row.case.target} --node ${row.case.node}`;
  console.log(
    `  ${`${label}: AWS calls`.padEnd(70)} ${String(row.calls).padStart(8)}  target ≤ ${calls}  ${verdict(row.calls <= calls)}`
  );
  console.log(
    `  ${`${label}: wall ms (median)`.padEnd(70)} ${row.ms.toFixed(1).padStart(8)}  target < ${ms}  ${verdict(row.ms < ms)}`
  );
  console.log(
    `  ${`${label}: wall ms (first in process)`.padEnd(70)} ${row.firstMs.toFixed(1).padStart(8)}  target < ${ms}  ${verdict(row.firstMs < ms)}`
  );
}

// Name → prompt, on the same sandbox: the demo fleet (real sshd hosts) beside the instances registered above.
const fleet = await createDemoFleet(sandbox.ssm.instances, {
  owner: caller,
  cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker }
});
const PROMPT_NAME = 'ssh-training-demo';
const PROMPT_TARGET_NAME = `${PROMPT_NAME}.training.sagemaker`;
const demoNode = node =>
  fleet.instances.find(i => i.name === PROMPT_NAME && i.node === node - 1)
    ?.instanceId;
const promptClients = new AwsClients('us-east-1', async () => ({
  accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
}));
const scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-bench-prompt-'));
let configDirs = 0;
const freshPaths = () => statePaths(join(scratch, `config-${++configDirs}`));
/** The config dir of the last first connect, which the reconnects reuse. */
let lastPaths;
/** Calls the instances' own agents make: not the client's, so left out (the demo fleet's hosts run none). */
const isAgentCall = what =>
  what.startsWith('EC2Messages.') || what === 'SSM.UpdateInstanceInformation';
const ours =
  (node, paths, target = PROMPT_TARGET_NAME) =>
  async () => {
    const connection = await openSsh(promptClients, target, {
      paths: paths(),
      timeoutMs: 0,
      node
    });
    return {
      ...connection,
      instanceId: connection.resolved.instance?.instanceId
    };
  };
const promptWays = [
  {
    key: 'first',
    label: `(a) ${PROMPT_TARGET_NAME}, first connect from a fresh config dir: key delivery`,
    expected: demoNode(1),
    rounds: PROMPT_ROUNDS,
    open: ours(1, () => (lastPaths = freshPaths()))
  },
  {
    key: 'reconnect',
    label: '(b) the same again from the same config dir: delivery skipped',
    expected: demoNode(1),
    rounds: PROMPT_ROUNDS,
    open: ours(1, () => lastPaths)
  },
  {
    key: 'node 2',
    label: '(c) --node 2 of the 2-node job, fresh config dir',
    expected: demoNode(2),
    rounds: PROMPT_ROUNDS,
    open: ours(2, freshPaths)
  },
  {
    key: 'one-node',
    label:
      '(a) for a one-node job, ssh-processing-demo.processing.sagemaker, fresh config dir',
    expected: fleet.instances.find(i => i.name === 'ssh-processing-demo')
      ?.instanceId,
    rounds: PROMPT_ROUNDS,
    open: ours(1, freshPaths, 'ssh-processing-demo.processing.sagemaker')
  },
  {
    key: 'original',
    label:
      "(d) the original project's flow, once: every instance + ListTagsForResource each, DescribeInstanceInformation (Online), SendCommand, 5 s, GetCommandInvocation 1 s apart, StartSession (support/original-connect.mjs)",
    expected: demoNode(1),
    rounds: 1,
    reference: true,
    open: () =>
      originalConnect(promptClients, {
        type: 'training-job',
        name: PROMPT_NAME,
        node: 1,
        scratch: mkdtempSync(join(scratch, 'original-'))
      })
  }
];

const quietIo = () => ({
  stdout: new PassThrough().resume(),
  stderr: new PassThrough().resume()
});
const sum = counts => Object.values(counts).reduce((a, b) => a + b, 0);
/** The client's calls, and how many calls the instances' agents made meanwhile. */
const clientCalls = counts => ({
  calls: Object.fromEntries(
    Object.entries(counts).filter(([what]) => !isAgentCall(what))
  ),
  agentCalls: sum(
    Object.fromEntries(
      Object.entries(counts).filter(([what]) => isAgentCall(what))
    )
  )
});

/** Calls and ms up to a ready SSH connection; then `true` there and the close, their calls apart. */
async function measurePrompt(way) {
  sandbox.calls.reset();
  const started = performance.now();
  const connection = await way.open();
  const ms = performance.now() - started;
  const before = clientCalls(sandbox.calls.snapshot());
  sandbox.calls.reset();
  const status = await runCommand(connection.client, 'true', quietIo());
  await connection.close();
  const after = clientCalls(sandbox.calls.snapshot());
  return {
    ms,
    calls: before.calls,
    total: sum(before.calls),
    agentCalls: before.agentCalls + after.agentCalls,
    afterCalls: after.calls,
    reached: connection.instanceId,
    status
  };
}

/**
 * `sm-ssh connect <target> -- hostname` as a process with a fresh HOME, from spawn to exit (the prompt is not visible
 * from outside); the hostname printed tells which instance it reached.
 */
async function measureCliConnect(way) {
  const home = mkdtempSync(join(scratch, 'cli-home-'));
  sandbox.calls.reset();
  const started = performance.now();
  const { status, stdout } = await promisify(execFile)(
    process.execPath,
    [CLI, 'connect', PROMPT_TARGET_NAME, '--', 'hostname'],
    {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        SM_SSH_CONFIG_DIR: join(home, 'sm-ssh'),
        ...sandboxEnv(sandbox)
      }
    }
  ).then(
    result => ({ status: 0, stdout: result.stdout }),
    error => ({ status: error.code ?? 1, stdout: error.stdout ?? '' })
  );
  const ms = performance.now() - started;
  const { calls, agentCalls } = clientCalls(sandbox.calls.snapshot());
  const hostname = stdout.trim();
  return {
    ms,
    calls,
    total: sum(calls),
    agentCalls,
    afterCalls: {},
    reached:
      sandbox.ssm.instances.require(way.expected).host?.hostname === hostname
        ? way.expected
        : `the host named "${hostname}"`,
    status
  };
}

const summarize = (way, runs) => {
  // the round with the most calls stands for the row (GetCommandInvocation polls may differ between rounds)
  const most = runs.reduce((a, b) => (b.total > a.total ? b : a));
  // in process, the first run of a row may load code the later ones find loaded; each CLI run is a new process
  const timed = way.process || runs.length === 1 ? runs : runs.slice(1);
  return {
    way,
    runs,
    calls: most.calls,
    total: most.total,
    steady: runs.every(run => run.total === runs[0].total),
    agentCalls: Math.max(...runs.map(run => run.agentCalls)),
    afterCalls: most.afterCalls,
    firstMs: runs[0].ms,
    ms: median(timed.map(run => run.ms)),
    wrong: runs.find(run => run.reached !== way.expected || run.status !== 0)
  };
};
promptWays.push({
  key: 'CLI',
  label: `sm-ssh connect ${PROMPT_TARGET_NAME} -- hostname, a process with a fresh HOME each run, spawn to exit: node start-up, resolution, delivery, session, the command and TerminateSession`,
  expected: demoNode(1),
  rounds: PROMPT_ROUNDS,
  process: true
});
const promptRows = [];
try {
  for (const way of promptWays) {
    const runs = [];
    for (let i = 0; i < way.rounds; i++) {
      runs.push(
        await (way.process ? measureCliConnect(way) : measurePrompt(way))
      );
    }
    const row = summarize(way, runs);
    promptRows.push(row);
    console.error(
      `  measured name → prompt, ${way.key}: ${row.total} calls, ${row.ms.toFixed(1)} ms`
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const operations = [
  ...new Set(promptRows.flatMap(row => Object.keys(row.calls)))
].sort();
const cell = 11;
const line = (label, cells) =>
  console.log(
    `${label.padEnd(46)}${cells.map(text => String(text).padStart(cell)).join('')}`
  );
console.log(
  `\nname → prompt (issue 5 §5) on the demo fleet (real sshd, paced agent) beside ${int(INSTANCES)} other managed instances\n`
);
line(
  'AWS calls by operation',
  promptRows.map(row => row.way.key)
);
for (const what of operations) {
  line(
    `  ${what}`,
    promptRows.map(row => int(row.calls[what] ?? 0))
  );
}
line(
  '  S3.PutObject (the sandbox does not see S3)',
  promptRows.map(row => (row.way.reference ? '+1' : 0))
);
line(
  'total, as counted',
  promptRows.map(row => `${int(row.total)}${row.steady ? '' : '*'}`)
);
line(
  'wall ms (median)',
  promptRows.map(row => row.ms.toFixed(1))
);
line(
  "wall ms (the row's first run)",
  promptRows.map(row => row.firstMs.toFixed(1))
);
line(
  `target ≤ ${PROMPT_TARGET.calls} AWS calls met`,
  promptRows.map(row =>
    row.way.reference || row.way.process
      ? 'n/a'
      : row.total <= PROMPT_TARGET.calls
        ? 'yes'
        : 'no'
  )
);
line(
  'after the prompt (`true`, close)',
  promptRows.map(row => (row.way.process ? '-' : sum(row.afterCalls)))
);
line(
  "agents' own calls (left out)",
  promptRows.map(row => row.agentCalls)
);
console.log('');
for (const row of promptRows) {
  const after = sum(row.afterCalls)
    ? `; after the prompt: ${breakdownText(row.afterCalls)}`
    : '';
  console.log(`  ${row.way.key.padEnd(10)} ${row.way.label}${after}`);
}
console.log(
  `\nthe openSsh rows run ${PROMPT_ROUNDS}× each until the SSH connection is ready (wall ms: median of the runs after the first; * = calls varied between runs, the most is shown); the original runs once, its 5 s sleep included, and its key upload to S3 is one more AWS call the sandbox cannot count; the CLI row's ms is the median of its ${PROMPT_ROUNDS} processes`
);

let failed = false;
for (const row of promptRows.filter(r => r.wrong)) {
  console.log(
    `\nWRONG: name → prompt, ${row.way.label}: reached ${row.wrong.instanceId}, not ${row.way.expected}; \`true\` exited ${row.wrong.status}`
  );
  failed = true;
}
for (const row of rows.filter(r => r.wrong)) {
  const how = `${row.case.target} --node ${row.case.node}: ${row.path.label} found ${row.wrongFound ?? 'nothing'}, not ${row.case.expected}`;
  if (row.path.mustFindExpected) {
    console.log(`\nWRONG INSTANCE: ${how}`);
    failed = true;
  } else {
    console.log(`\nnote: the reference disagrees: ${how}`);
  }
}

await sandbox.close();
process.exit(failed ? 1 : 0);
