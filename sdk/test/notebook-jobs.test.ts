/**
 * Jobs with SSH from notebooks: `examples/run-a-job-with-ssh.ipynb` (TypeScript, tslab kernel, the SDK) and
 * `examples/run-a-job-with-ssh-python.ipynb` (Python kernel, the package's client `SmSsh` and boto3) executed
 * headless (`jupyter execute`, nbclient) against the sandbox with its demo fleet (whose execution role has the server
 * policy), side by side. Each starts a training job with SSH that the sandbox really runs (one container per node),
 * waits for its target, runs commands in it, releases it and waits for it to complete; the test checks what they
 * printed and, independently, the job in the sandbox's SageMaker.
 *
 * The kernelspecs go into a scratch prefix (`tslab install --prefix`, `ipykernel install --prefix`, found through
 * JUPYTER_PATH), never into the user's Jupyter; HOME and the sm-ssh config folder are scratch too.
 *
 * Which CLI the Python client runs: the one-file bundle a pip-installed package ships (`sm_ssh/sm-ssh.mjs`, no
 * node_modules beside it), built from the current sources into the scratch dir by `scripts/build-cli-bundle.mjs
 * --outfile` and named by SM_SSH_CLI. That is what Studio users run, and building it here keeps it from being
 * stale (the package's own copy is rebuilt only by `npm run build` / bootstrap) without rewriting the file other
 * tests run at the same time. A missing .venv, tslab or SDK build is a failure with the fix, never a skip.
 */
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { join } from 'node:path';
import { REPO_ROOT } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';
import {
  expectCleanRun,
  notebookScratch,
  requireNotebookTools,
  type IExecuted,
  type INotebookScratch
} from './harness/notebooks.js';

const TS_NOTEBOOK = `${REPO_ROOT}examples/run-a-job-with-ssh.ipynb`;
const PY_NOTEBOOK = `${REPO_ROOT}examples/run-a-job-with-ssh-python.ipynb`;
const BUNDLER = `${REPO_ROOT}scripts/build-cli-bundle.mjs`;
const ROLE_ARN =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-demo';
/** nbclient's limit per cell (its own failure shuts the kernel down), and ours for each run. */
const LIMITS = { cellTimeoutS: 180, deadlineMs: 360_000 };

let cloud: IDemoCloud;
let scratch: INotebookScratch;
let typescript: IExecuted;
let python: IExecuted;

/** The job the notebook started, from its first printed `job <name>:` line. */
function jobNameOf(notebook: IExecuted): string {
  const name = /^job (\S+): /m.exec(notebook.printed())?.[1];
  if (!name) {
    throw new Error(
      `the notebook printed no "job <name>:" line:\n${notebook.printed()}`
    );
  }
  return name;
}

async function describeJob(name: string) {
  return cloud.clients
    .sagemaker()
    .send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
}

beforeAll(async () => {
  requireNotebookTools(
    'JupyterLab brings jupyter_server, nbconvert and nbclient; ipykernel, boto3'
  );
  cloud = await startDemoCloud({ pacing: false });
  scratch = notebookScratch('sm-ssh-notebook-jobs', cloud.sandbox, dir => ({
    // No AWS_MAX_ATTEMPTS=1 here (the SDK's retries, as users have them): the sandbox's HTTP server closes idle
    // keep-alive sockets after Node's default 5 s, and tslab compiles each cell synchronously, so a socket that idled
    // across that while the event loop was blocked is reused after its FIN and the first call of the next cell meets
    // a socket hang up (ECONNRESET), which the SDK retries.
    // as scripts/test.sh runs everything: the AWS SDK's notice about Node 20 would be a stderr output of tslab
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SM_SSH_CLI: join(dir, 'sm_ssh', 'sm-ssh.mjs'),
    PYTHONDONTWRITEBYTECODE: '1'
  }));
  await Promise.all([
    scratch.installTslab(),
    scratch.installIpykernel(),
    scratch.mustRun(
      'the CLI bundle',
      process.execPath,
      [BUNDLER, '--outfile', scratch.env.SM_SSH_CLI],
      60_000
    )
  ]);
  [typescript, python] = await Promise.all([
    scratch.execute(TS_NOTEBOOK, 'tslab', LIMITS),
    scratch.execute(PY_NOTEBOOK, 'python3', LIMITS)
  ]);
}, LIMITS.deadlineMs + 90_000);

afterAll(async () => {
  await cloud?.close();
  scratch?.remove();
});

describe('a job with SSH from a Python notebook (SmSsh, boto3)', () => {
  /** StartedJob.instances as printed: the SSH nodes' managed instances, node 1 first. */
  const startedInstances = () =>
    /^target \S+: 2 nodes, SSH on 2, instances (mi-\w+), (mi-\w+)$/m
      .exec(python.printed(/sm\.start_job\(/))
      ?.slice(1) ?? [];

  it('runs every cell of the committed notebook without an error', () => {
    expectCleanRun(python, 'python3');
  });

  it('starts a two-node training job with the demo role and waits until both SSH nodes are Online', async () => {
    const name = jobNameOf(python);
    const target = `${name}.training.sagemaker`;
    expect(python.printed(/^import os/)).toContain(
      `job ${name}: 2 nodes, role ${ROLE_ARN}\n`
    );
    // the wrap: the wrapper as entry point, the original command as its arguments, the bundle's channel, the
    // wrap's environment beside the request's own
    const wrap = python.printed(/sm\.wrap\(/);
    expect(wrap).toContain(
      "entry point: ['/bin/sh', '/opt/ml/input/data/sm-ssh/sm-ssh-job.sh']\n"
    );
    expect(wrap).toMatch(/^arguments: {3}\['\/bin\/sh', '-c', 'echo /m);
    expect(wrap).toContain("channels:    ['sm-ssh']\n");
    expect(wrap).toContain(
      "environment: ['EPOCHS', 'SM_SSH_BUNDLE_DIR', 'SM_SSH_NODES', 'SM_SSH_WAIT_SECONDS', 'SSH_OWNER_TAG', 'SSH_SSM_ROLE']\n"
    );
    expect(wrap.match(/^upload s3:\/\/\S+ \(\d+ bytes\)$/gm)).toHaveLength(2);
    // StartedJob's fields; the launch's progress came to the notebook as it went
    const started = python.printed(/sm\.start_job\(/);
    expect(started).toContain(`target ${target}: 2 nodes, SSH on 2, `);
    expect(startedInstances()).toHaveLength(2);
    expect(started).toContain(
      `waits up to 600 s; from a terminal: sm-ssh connect ${target}   and   sm-ssh job release ${target}\n`
    );
    expect(started).toContain(
      `sm-ssh job start: creating the training job ${name}\n`
    );
    const described = await describeJob(name);
    expect(described.RoleArn).toBe(ROLE_ARN);
    expect(described.ResourceConfig?.InstanceCount).toBe(2);
    expect(
      described.AlgorithmSpecification?.ContainerEntrypoint?.join(' ')
    ).toBe('/bin/sh /opt/ml/input/data/sm-ssh/sm-ssh-job.sh');
  });

  it('lists the job as waiting, runs hostname on each node and reads its resource configuration', () => {
    expect(python.printed(/^mine = next\(/m)).toMatch(
      /: InProgress, Online, 2 nodes, owner \S+\nphase waiting\n$/
    );
    const hosts = [
      ...python
        .printed(/"hostname"/)
        .matchAll(/^node (\d): (algo-\d) \((mi-\w+), as root\)$/gm)
    ].map(([, node, host, instance]) => ({ node, host, instance }));
    // node N is the started job's instance N; both hosts answered
    expect(hosts.map(({ node, instance }) => [node, instance])).toEqual([
      ['1', startedInstances()[0]],
      ['2', startedInstances()[1]]
    ]);
    expect(hosts.map(({ host }) => host).sort()).toEqual(['algo-1', 'algo-2']);
    const config = python.printed(/resourceconfig\.json/);
    expect(/"current_host"\s*:\s*"(algo-\d)"/.exec(config)?.[1]).toBe(
      hosts[0]?.host
    );
    expect(config).toMatch(/"hosts"\s*:\s*\[\s*"algo-1"\s*,\s*"algo-2"\s*\]/);
    expect(config).toMatch(/^sm-ssh$/m);
  });

  it('releases both nodes, and the job runs its own command and completes', async () => {
    const [first, second] = startedInstances();
    expect(python.printed(/sm\.release\(/)).toBe(
      `node 1 (${first}): released\nnode 2 (${second}): released\n`
    );
    const name = jobNameOf(python);
    const waited = python
      .printed(/describe_training_job/)
      .trim()
      .split('\n');
    expect(waited.at(-1)).toBe(`${name}: Completed (Completed)`);
    expect((await describeJob(name)).TrainingJobStatus).toBe('Completed');
    const log = python.printed(/describe_log_streams/);
    for (const host of ['algo-1', 'algo-2']) {
      const lines = log
        .split('\n')
        .filter(line => line.startsWith(`${host}  `))
        .map(line => line.slice(host.length + 2));
      const at = (pattern: RegExp) =>
        lines.findIndex(line => pattern.test(line));
      // in this order: the wait, its release, the job's own command and its end
      const order = [
        /^sm-ssh-job: waiting up to 600 s for a connection/,
        /^sm-ssh-job: released after \d+ s$/,
        /^sm-ssh-job: running \/bin\/sh -c /,
        new RegExp(`^training on ${host}, epochs=1$`),
        new RegExp(`^training done on ${host}$`),
        /^sm-ssh-job: .* exited with 0$/
      ].map(at);
      expect({ host, order }).toEqual({
        host,
        order: [...order].sort((a, b) => a - b)
      });
      expect(order.every(index => index >= 0)).toBe(true);
    }
    expect(python.printed(/still a target/)).toBe('still a target: False\n');
  });
});

describe('a job with SSH from a TypeScript notebook (tslab, the SDK)', () => {
  it('runs every cell of the committed notebook without an error', () => {
    expectCleanRun(typescript, 'tslab');
  });

  it('starts a training job with SSH, runs hostname in it, releases it and sees it complete', async () => {
    const name = jobNameOf(typescript);
    const out = typescript.printed();
    expect(out).toContain(`job ${name}: 1 node, role ${ROLE_ARN}\n`);
    expect(out).toMatch(
      new RegExp(`^${name}\\.training\\.sagemaker is Online: mi-\\w+$`, 'm')
    );
    expect(out).toContain(`creating: creating the training job ${name}\n`);
    expect(out).toMatch(/^phase waiting$/m);
    expect(/^hostname: (.*)$/m.exec(out)?.[1]).toBe('algo-1');
    expect(out).toMatch(/^node 1 \(mi-\w+\): released$/m);
    expect(out).toContain(`${name}: Completed (Completed)\n`);
    expect((await describeJob(name)).TrainingJobStatus).toBe('Completed');
  });
});
