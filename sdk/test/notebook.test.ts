/**
 * The SDK from a notebook: `examples/connect-from-a-notebook.ipynb` executed headless (`jupyter execute`, nbclient)
 * in the tslab TypeScript kernel against the sandbox's demo fleet. The kernelspec goes into a scratch prefix through
 * `tslab install --prefix`, never into the user's Jupyter; HOME and the sm-ssh config folder are scratch too.
 * A missing .venv, tslab or SDK build is a failure with the fix, never a skip.
 */
import {
  formatTarget,
  parseTarget,
  type IResourceTarget
} from '../src/names/index.js';
import { REPO_ROOT } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';
import {
  expectCleanRun,
  notebookScratch,
  requireNotebookTools,
  type IExecuted,
  type INotebookScratch
} from './harness/notebooks.js';

const NOTEBOOK = `${REPO_ROOT}examples/connect-from-a-notebook.ipynb`;
const TRAINING = 'ssh-training-demo.training.sagemaker';
/** nbclient's limit per cell (its own failure shuts the kernel down), and ours for the whole run. */
const LIMITS = { cellTimeoutS: 90, deadlineMs: 170_000 };

let cloud: IDemoCloud;
let scratch: INotebookScratch;
let notebook: IExecuted;

beforeAll(async () => {
  requireNotebookTools();
  cloud = await startDemoCloud({ pacing: false });
  scratch = notebookScratch('sm-ssh-notebook', cloud.sandbox, () => ({
    AWS_MAX_ATTEMPTS: '1',
    SM_SSH_TARGET: TRAINING
  }));
  await scratch.installTslab();
  notebook = await scratch.execute(NOTEBOOK, 'tslab', LIMITS);
}, LIMITS.deadlineMs + 60_000);

afterAll(async () => {
  await cloud?.close();
  scratch?.remove();
});

describe('the SDK from a notebook (tslab)', () => {
  it('runs every cell of the committed notebook without an error', () => {
    expectCleanRun(notebook, 'tslab');
  });

  it("lists the demo fleet's targets", () => {
    const lines = notebook.printed(/await listTargets\(/).split('\n');
    const names = new Set([
      ...cloud.fleet.instances.map(instance =>
        instance.resourceArn
          ? formatTarget({
              ...(parseTarget(instance.resourceArn) as IResourceTarget),
              form: 'name'
            })
          : `${instance.name}.${instance.kind}.sagemaker`
      ),
      ...cloud.fleet.spaces.map(space => space.target)
    ]);
    expect(names.size).toBeGreaterThanOrEqual(9);
    expect(lines.filter(Boolean)).toHaveLength(names.size);
    for (const name of names) {
      expect(lines.filter(line => line.startsWith(`${name} `))).toHaveLength(1);
    }
    const training = lines.find(line => line.startsWith(`${TRAINING} `));
    expect(training?.split(/\s+/)).toEqual([
      TRAINING,
      'training',
      'InProgress',
      'Online',
      '2',
      'nodes',
      'mine'
    ]);
    expect(
      lines.find(line => line.startsWith('bob-training-job.training.'))
    ).toMatch(/ owner AROAEXAMPLEOTHER:bob$/);
  });

  it('resolves the target by name and runs hostname, nproc and uname -a on its instance', () => {
    const node = cloud.nodeOf('ssh-training-demo');
    const out = notebook.printed();
    expect(out).toContain(`${TRAINING} is ${node.instanceId}, node 1 of 2\n`);
    expect(out).toContain('key delivered');
    expect(out).toContain('logged in as root\n');
    expect(/^hostname: (.*)$/m.exec(out)?.[1]).toBe(node.hostname);
    expect(out).toMatch(/^cpus: [1-9]\d*$/m);
    expect(out).toMatch(new RegExp(`^Linux ${node.hostname} `, 'm'));
    expect(out).toContain(`closed the connection to ${TRAINING}\n`);
  });
});
