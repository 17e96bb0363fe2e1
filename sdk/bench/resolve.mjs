// `npm run bench` (after data-channel.mjs): name → managed instance with BENCH_INSTANCES (default 10,000) managed
// instances registered in one sandbox, measured as AWS calls (counted by the sandbox) and wall time, for our
// resolveTarget (a server-side `tag:SSHResourceName` filter) beside the original project's algorithm (every instance,
// then one ListTagsForResource each) on the same sandbox. Figures, ratios and the issue's targets are printed; the
// exit code is 1 only when our path finds the wrong instance, never for speed.
//
// BENCH_RESOLVE_ROUNDS (default 5): timed runs of our path after its first one in the process (which loads the SDK).
// Instances are registered without hosts (no sshd): resolution only reads the control plane.
import {
  createAwsClients,
  findMotoServer,
  resolveTarget,
  sandboxEnv,
  startSandbox
} from '../dist/index.js';
import { originalInstanceIds } from './support/original-resolve.mjs';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_RESOLVE_ROUNDS ?? 5);
/** Issue 5 §5: resolution with 10,000 managed instances registered. */
const TARGET = { instances: 10_000, calls: 3, ms: 500 };
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
  ROUNDS < 1
) {
  console.error(
    'bench: BENCH_INSTANCES must be an integer ≥ 4 and BENCH_RESOLVE_ROUNDS ≥ 1'
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
// one in five a plain managed server without SSH tags.
const wanted = {
  trainNewest: sshTags('training-job', 'bench-train', NOW - 60),
  trainOlder: sshTags('training-job', 'bench-train', NOW - 90),
  sameNameProcessing: sshTags('processing-job', 'bench-train', NOW - 30),
  processing: sshTags('processing-job', 'bench-proc', NOW - 120)
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
    for (const [key, tags] of Object.entries(wanted)) {
      ids[key] = (
        await sandbox.ssm.instances.launch({ host: false, tags })
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
// baseline of the ratios. A later "name → prompt" row (`sm-ssh connect <target> -- true` as a process, target ≤ 6
// calls) is one more entry here: a process's calls are counted by the same sandbox (or read from GET
// <sandbox>/_sandbox/calls when the sandbox runs elsewhere).
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

let failed = false;
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
