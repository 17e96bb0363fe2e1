/**
 * The SDK from a notebook: `examples/connect-from-a-notebook.ipynb` executed headless (`jupyter execute`, nbclient)
 * in the tslab TypeScript kernel against the sandbox's demo fleet. The kernelspec goes into a scratch prefix through
 * `tslab install --prefix`, never into the user's Jupyter; HOME and the sm-ssh config folder are scratch too.
 * A missing .venv, tslab or SDK build is a failure with the fix, never a skip.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  formatTarget,
  parseTarget,
  type IResourceTarget
} from '../src/names/index.js';
import { REPO_ROOT, sandboxEnv } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

const NOTEBOOK = `${REPO_ROOT}examples/connect-from-a-notebook.ipynb`;
const JUPYTER = `${REPO_ROOT}.venv/bin/jupyter`;
const PYTHON = `${REPO_ROOT}.venv/bin/python`;
const TSLAB = `${REPO_ROOT}node_modules/.bin/tslab`;
const SDK_ENTRY = `${REPO_ROOT}sdk/dist/index.js`;
const TRAINING = 'ssh-training-demo.training.sagemaker';
/** nbclient's limit per cell (its own failure shuts the kernel down), and ours for the whole run. */
const CELL_TIMEOUT_S = 90;
const RUN_DEADLINE_MS = 170_000;

interface IOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

interface ICell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: IOutput[];
}

interface INotebook {
  metadata: { kernelspec?: { name?: string } };
  cells: ICell[];
}

interface IRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

let cloud: IDemoCloud;
let scratch: string;
let env: Record<string, string>;
let run: IRun;
let executed: INotebook;

const text = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join('') : (value ?? '');
const codeCells = (notebook: INotebook) =>
  notebook.cells.filter(cell => cell.cell_type === 'code');
/** What the code cells whose source matches `source` printed to stdout (all cells by default), in order. */
const printed = (source = /(?:)/) =>
  codeCells(executed)
    .filter(cell => source.test(text(cell.source)))
    .flatMap(cell => cell.outputs ?? [])
    .filter(output => output.output_type === 'stream')
    .filter(output => output.name === 'stdout')
    .map(output => text(output.text))
    .join('');

function requireFile(path: string, fix: string): void {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: ${fix}`);
  }
}

/** Runs a process with the test's environment, in its own process group so that a run past the deadline can be killed whole. */
function spawnCollect(
  command: string,
  args: string[],
  deadlineMs: number
): Promise<IRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      cwd: scratch,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += String(chunk)));
    child.stderr.on('data', chunk => (stderr += String(chunk)));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${deadlineMs} ms)`;
      if (child.pid !== undefined) {
        process.kill(-child.pid, 'SIGKILL');
      }
    }, deadlineMs);
    child.once('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', code => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(async () => {
  requireFile(
    JUPYTER,
    'create the venv with `bash scripts/bootstrap.sh` (requirements-dev.txt: JupyterLab brings jupyter_server, nbconvert and nbclient)'
  );
  requireFile(
    TSLAB,
    'install the npm workspaces with `npm ci` at the repository root (tslab is a root devDependency)'
  );
  requireFile(SDK_ENTRY, 'build the SDK first: `npm run build -w sdk`');
  cloud = await startDemoCloud({ pacing: false });
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-notebook-'));
  const prefix = join(scratch, 'jupyter-prefix');
  env = {
    // the kernelspec starts tslab through `#!/usr/bin/env node`: the node that runs the tests
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    ...sandboxEnv(cloud.sandbox),
    AWS_MAX_ATTEMPTS: '1',
    HOME: scratch,
    SM_SSH_CONFIG_DIR: join(scratch, 'config'),
    SM_SSH_TARGET: TRAINING,
    JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
    JUPYTER_CONFIG_DIR: join(scratch, 'jupyter-config'),
    JUPYTER_DATA_DIR: join(scratch, 'jupyter-data'),
    JUPYTER_RUNTIME_DIR: join(scratch, 'jupyter-runtime'),
    JUPYTER_PLATFORM_DIRS: '1'
  };
  const install = await spawnCollect(
    TSLAB,
    [
      'install',
      `--python=${PYTHON}`,
      `--binary=${TSLAB}`,
      `--prefix=${prefix}`
    ],
    30_000
  );
  if (install.code !== 0) {
    throw new Error(
      `tslab install failed (${install.code}):\n${install.stdout}${install.stderr}`
    );
  }
  const output = join(scratch, 'executed.ipynb');
  run = await spawnCollect(
    JUPYTER,
    [
      'execute',
      '--kernel_name=tslab',
      `--timeout=${CELL_TIMEOUT_S}`,
      `--output=${output}`,
      NOTEBOOK
    ],
    RUN_DEADLINE_MS
  );
  if (run.code !== 0) {
    throw new Error(
      `jupyter execute failed (${run.code}) after ${run.ms} ms:\n${run.stderr}`
    );
  }
  executed = JSON.parse(readFileSync(output, 'utf8')) as INotebook;
}, RUN_DEADLINE_MS + 60_000);

afterAll(async () => {
  await cloud?.close();
  if (scratch) {
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('the SDK from a notebook (tslab)', () => {
  it('runs every cell of the committed notebook without an error', () => {
    const committed = JSON.parse(readFileSync(NOTEBOOK, 'utf8')) as INotebook;
    expect(committed.metadata.kernelspec?.name).toBe('tslab');
    // committed with outputs cleared: no local paths or ids from someone's run
    expect(codeCells(committed).flatMap(cell => cell.outputs ?? [])).toEqual(
      []
    );
    const cells = codeCells(executed);
    expect(cells.length).toBe(codeCells(committed).length);
    cells.forEach((cell, index) =>
      expect({ index, count: cell.execution_count }).toEqual({
        index,
        count: index + 1
      })
    );
    // tslab reports a failing cell, and a type error, on stderr rather than as an error output
    const failures = cells
      .flatMap(cell => cell.outputs ?? [])
      .filter(
        output =>
          output.output_type === 'error' ||
          (output.output_type === 'stream' && output.name === 'stderr')
      );
    expect(failures).toEqual([]);
  });

  it("lists the demo fleet's targets", () => {
    const lines = printed(/await listTargets\(/).split('\n');
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
    const out = printed();
    expect(out).toContain(`${TRAINING} is ${node.instanceId}, node 1 of 2\n`);
    expect(out).toContain('key delivered');
    expect(out).toContain('logged in as root\n');
    expect(/^hostname: (.*)$/m.exec(out)?.[1]).toBe(node.hostname);
    expect(out).toMatch(/^cpus: [1-9]\d*$/m);
    expect(out).toMatch(new RegExp(`^Linux ${node.hostname} `, 'm'));
    expect(out).toContain(`closed the connection to ${TRAINING}\n`);
  });
});
