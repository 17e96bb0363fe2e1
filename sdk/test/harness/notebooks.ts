/**
 * Notebooks executed headless (`jupyter execute`, nbclient) against the sandbox, for the notebook tests. The
 * kernelspecs go into a scratch prefix (`tslab install --prefix`, `ipykernel install --prefix`, found through
 * JUPYTER_PATH), never into the user's Jupyter; HOME and the sm-ssh config folder are scratch too. A missing .venv,
 * tslab or SDK build is a failure with the fix, never a skip.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ISandbox } from '../../src/sandbox/index.js';
import { REPO_ROOT, sandboxEnv } from './cloud.js';

export const JUPYTER = `${REPO_ROOT}.venv/bin/jupyter`;
export const PYTHON = `${REPO_ROOT}.venv/bin/python`;
export const TSLAB = `${REPO_ROOT}node_modules/.bin/tslab`;
export const SDK_ENTRY = `${REPO_ROOT}sdk/dist/index.js`;

export interface IOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface ICell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: IOutput[];
}

export interface INotebook {
  metadata: { kernelspec?: { name?: string } };
  cells: ICell[];
}

export interface IRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface IExecuted {
  committed: INotebook;
  executed: INotebook;
  run: IRun;
  /** What the code cells whose source matches `source` printed to stdout (all cells by default), in order. */
  printed(source?: RegExp): string;
}

/** nbclient's limit per cell (its own failure shuts the kernel down), and ours for the whole `jupyter execute`. */
export interface IExecuteLimits {
  cellTimeoutS: number;
  deadlineMs: number;
}

export const text = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join('') : (value ?? '');
export const codeCells = (notebook: INotebook): ICell[] =>
  notebook.cells.filter(cell => cell.cell_type === 'code');

function requireFile(path: string, fix: string): void {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: ${fix}`);
  }
}

/** Jupyter in the .venv (`venvBrings`: what the test needs of requirements-dev.txt), tslab and the SDK build. */
export function requireNotebookTools(
  venvBrings = 'JupyterLab brings jupyter_server, nbconvert and nbclient'
): void {
  requireFile(
    JUPYTER,
    `create the venv with \`bash scripts/bootstrap.sh\` (requirements-dev.txt: ${venvBrings})`
  );
  requireFile(
    TSLAB,
    'install the npm workspaces with `npm ci` at the repository root (tslab is a root devDependency)'
  );
  requireFile(SDK_ENTRY, 'build the SDK first: `npm run build -w sdk`');
}

export interface INotebookScratch {
  dir: string;
  /** The environment every process of the test runs with. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs a process with `env` in `dir`; a non-zero exit is an error with its output. */
  mustRun(
    what: string,
    command: string,
    args: string[],
    deadlineMs: number
  ): Promise<IRun>;
  installTslab(): Promise<IRun>;
  installIpykernel(): Promise<IRun>;
  execute(
    path: string,
    kernel: string,
    limits: IExecuteLimits
  ): Promise<IExecuted>;
  remove(): void;
}

/**
 * A scratch directory (`mkdtemp` with `name`) as HOME, sm-ssh config folder and Jupyter prefix, and the environment
 * that points the notebooks at the sandbox; `more` (of the scratch directory) is added to it.
 */
export function notebookScratch(
  name: string,
  sandbox: ISandbox,
  more: (dir: string) => Record<string, string> = () => ({})
): INotebookScratch {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const prefix = join(dir, 'jupyter-prefix');
  const env: Record<string, string> = {
    // a tslab kernelspec starts tslab through `#!/usr/bin/env node`, and the Python client finds Node on PATH: the
    // node that runs the tests
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    ...sandboxEnv(sandbox),
    HOME: dir,
    SM_SSH_CONFIG_DIR: join(dir, 'config'),
    JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
    JUPYTER_CONFIG_DIR: join(dir, 'jupyter-config'),
    JUPYTER_DATA_DIR: join(dir, 'jupyter-data'),
    JUPYTER_RUNTIME_DIR: join(dir, 'jupyter-runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    ...more(dir)
  };

  /** In its own process group, so that a run past the deadline can be killed whole. */
  function spawnCollect(
    command: string,
    args: string[],
    deadlineMs: number
  ): Promise<IRun> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env,
        cwd: dir,
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

  async function mustRun(
    what: string,
    command: string,
    args: string[],
    deadlineMs: number
  ): Promise<IRun> {
    const run = await spawnCollect(command, args, deadlineMs);
    if (run.code !== 0) {
      throw new Error(
        `${what} failed (${run.code}) after ${run.ms} ms:\n${run.stdout}${run.stderr}`
      );
    }
    return run;
  }

  async function execute(
    path: string,
    kernel: string,
    { cellTimeoutS, deadlineMs }: IExecuteLimits
  ): Promise<IExecuted> {
    const output = join(dir, `${kernel}-executed.ipynb`);
    const run = await mustRun(
      `jupyter execute ${path}`,
      JUPYTER,
      [
        'execute',
        `--kernel_name=${kernel}`,
        `--timeout=${cellTimeoutS}`,
        `--output=${output}`,
        path
      ],
      deadlineMs
    );
    const executed = JSON.parse(readFileSync(output, 'utf8')) as INotebook;
    return {
      committed: JSON.parse(readFileSync(path, 'utf8')) as INotebook,
      executed,
      run,
      printed: (source = /(?:)/) =>
        codeCells(executed)
          .filter(cell => source.test(text(cell.source)))
          .flatMap(cell => cell.outputs ?? [])
          .filter(out => out.output_type === 'stream' && out.name === 'stdout')
          .map(out => text(out.text))
          .join('')
    };
  }

  return {
    dir,
    env,
    mustRun,
    installTslab: () =>
      mustRun(
        'tslab install',
        TSLAB,
        [
          'install',
          `--python=${PYTHON}`,
          `--binary=${TSLAB}`,
          `--prefix=${prefix}`
        ],
        30_000
      ),
    installIpykernel: () =>
      mustRun(
        'ipykernel install',
        PYTHON,
        [
          '-m',
          'ipykernel',
          'install',
          `--prefix=${prefix}`,
          '--name=python3',
          '--display-name=Python 3 (ipykernel)'
        ],
        30_000
      ),
    execute,
    remove: () => rmSync(dir, { recursive: true, force: true })
  };
}

/** Every cell ran once, in order, without an error; the committed notebook has no outputs and names `kernel`. */
export function expectCleanRun(notebook: IExecuted, kernel: string): void {
  expect(notebook.committed.metadata.kernelspec?.name).toBe(kernel);
  // committed with outputs cleared: no local paths or ids from someone's run
  expect(
    codeCells(notebook.committed).flatMap(cell => cell.outputs ?? [])
  ).toEqual([]);
  const cells = codeCells(notebook.executed);
  expect(cells.length).toBe(codeCells(notebook.committed).length);
  cells.forEach((cell, index) =>
    expect({ index, count: cell.execution_count }).toEqual({
      index,
      count: index + 1
    })
  );
  const failures = cells
    .flatMap(cell => cell.outputs ?? [])
    .filter(
      out =>
        out.output_type === 'error' ||
        // tslab reports a failing cell, and a type error, on stderr rather than as an error output
        (kernel === 'tslab' &&
          out.output_type === 'stream' &&
          out.name === 'stderr')
    );
  expect(failures).toEqual([]);
}
