/**
 * `sdk/remote/sm-ssh-job.sh` for real: dash runs it with a stand-in for `sm-ssh-init.sh` (a script that records its
 * starts and its SIGTERM) and a scratch directory standing in for /opt/ml; real processes throughout. The wait ends
 * by `release` from another process, by killing the `sm-wait` process, by the time, or by the init script's end;
 * only the first SM_SSH_NODES nodes start SSH; the command's arguments, stdin and exit code pass through; TERM and
 * INT reach the command; SIGTERM during the wait stops the init script and ends with 143. Last, as SageMaker runs
 * it: PID 1 of its own PID and mount namespaces with a private /tmp, released by `JOB_RELEASE_COMMAND` from outside
 * (the default state directory, as Run Command reaches it), and stopped by SIGTERM sent from the parent namespace.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_RELEASE_COMMAND, JOB_STATE_DIR } from './bundle.js';
import { JOB_LOG_PREFIX, RELEASE_FILE } from './types.js';

const SCRIPT = fileURLToPath(
  new URL('../../remote/sm-ssh-job.sh', import.meta.url)
);
const DASH = '/usr/bin/dash';

/** Records its starts (with the owner it got) and its SIGTERM; `FAKE_INIT_EXIT=<code>` makes it end by itself. */
const FAKE_INIT = `#!/bin/sh
trap 'echo "stopped $$" >>"$FAKE_INIT_LOG"; exit 0' TERM
echo "started $$ owner=\${SSH_OWNER_TAG:-}" >>"$FAKE_INIT_LOG"
echo "fake-init: registered"
if [ -n "\${FAKE_INIT_EXIT:-}" ]; then sleep 0.5; exit "$FAKE_INIT_EXIT"; fi
while :; do sleep 0.1; done
`;
/**
 * A command's start that waits until the stand-in init has set its TERM trap (it logs its start after): without a
 * wait the command may end, and the wrapper stop the init, before the init's shell has read its first line.
 */
const AFTER_INIT = 'while [ ! -s "$FAKE_INIT_LOG" ]; do sleep 0.05; done; ';

let root: string;
let count = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sm-ssh-job-test-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A container's worth of scratch: /opt/ml, the state dir, the stand-in init and its log. */
interface IScratch {
  dir: string;
  ml: string;
  state: string;
  init: string;
  initLog: string;
}

function scratch(): IScratch {
  const dir = join(root, `c${++count}`);
  const ml = join(dir, 'ml');
  mkdirSync(join(ml, 'input', 'config'), { recursive: true });
  mkdirSync(join(ml, 'config'), { recursive: true });
  const init = join(dir, 'fake-init.sh');
  writeFileSync(init, FAKE_INIT);
  return {
    dir,
    ml,
    state: join(dir, 'state'),
    init,
    initLog: join(dir, 'init.log')
  };
}

function resourceConfig(
  ml: string,
  folder: 'input/config' | 'config',
  host: string,
  hosts: string[]
): void {
  // as SageMaker writes it, with the instance groups' own (unordered) host lists after the job's
  const config = {
    current_host: host,
    current_instance_type: 'ml.m5.xlarge',
    current_group_name: 'homogeneousCluster',
    hosts,
    instance_groups: [
      {
        instance_group_name: 'homogeneousCluster',
        instance_type: 'ml.m5.xlarge',
        hosts: [...hosts].reverse()
      }
    ],
    network_interface_name: 'eth0'
  };
  writeFileSync(
    join(ml, folder, 'resourceconfig.json'),
    JSON.stringify(config, null, 2)
  );
}

function env(s: IScratch, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: s.dir,
    SM_SSH_INIT: s.init,
    SM_SSH_ML_ROOT: s.ml,
    SM_SSH_JOB_STATE: s.state,
    FAKE_INIT_LOG: s.initLog,
    SSH_OWNER_TAG: 'AIDAEXAMPLEOWNER',
    TRAINING_JOB_NAME: 'ssh-job-1',
    SM_SSH_WAIT_SECONDS: '60',
    SM_SSH_NODES: '2',
    ...extra
  };
}

/** A running wrapper: its output lines as they come, and its end. */
class Run {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exit: Promise<{ code: number | null; signal: string | null }>;
  private waiters: (() => void)[] = [];

  constructor(
    command: string,
    args: string[],
    environment: Record<string, string>,
    stdin?: string
  ) {
    this.child = spawn(command, args, {
      env: environment,
      stdio: ['pipe', 'pipe', 'pipe']
    });
    const collect = (into: string[]) => {
      let rest = '';
      return (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        into.push(...lines);
        this.waiters.forEach(wake => wake());
      };
    };
    this.child.stdout!.on('data', collect(this.stdout));
    this.child.stderr!.on('data', collect(this.stderr));
    this.child.stdin!.end(stdin ?? '');
    this.exit = new Promise(resolve =>
      this.child.on('close', (code, signal) => resolve({ code, signal }))
    );
  }

  /** Waits for a stdout line matching `pattern`. */
  async line(pattern: RegExp, timeoutMs = 15000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.stdout.find(line => pattern.test(line));
      if (found !== undefined) {
        return found;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `no line ${pattern} in:\n${this.stdout.join('\n')}\n${this.stderr.join('\n')}`
        );
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  /** The marker lines of the wrapper (`sm-ssh-job: …`), in order. */
  markers(): string[] {
    return this.stdout.filter(line => line.startsWith(JOB_LOG_PREFIX));
  }
}

function wrapper(
  s: IScratch,
  command: string[],
  extra: Record<string, string> = {},
  stdin?: string
): Run {
  return new Run(DASH, [SCRIPT, ...command], env(s, extra), stdin);
}

function release(s: IScratch, script = join(s.state, 'sm-ssh-job.sh')) {
  return execFileSync(DASH, [script, 'release'], {
    env: { PATH: process.env.PATH ?? '', SM_SSH_JOB_STATE: s.state },
    encoding: 'utf8'
  }).trim();
}

function initLog(s: IScratch): string[] {
  return existsSync(s.initLog)
    ? readFileSync(s.initLog, 'utf8').trim().split('\n')
    : [];
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 50 && alive(pid); tries++) {
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return !alive(pid);
}

/** The pids of the wrapper's children named `name` (what `pkill -x name -P <wrapper>` matches). */
function childrenNamed(parent: number, name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name, '-P', String(parent)], {
      encoding: 'utf8'
    })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

const WAITING =
  /^sm-ssh-job: waiting up to (\d+) s for a connection \(end it with: sm-ssh job release (\S+), or pkill sm-wait\)$/;

describe('sm-ssh-job.sh: the wait', () => {
  it('ends at a release from another process, then runs the command and stops the init script after it', async () => {
    const s = scratch();
    resourceConfig(s.ml, 'input/config', 'algo-1', ['algo-1', 'algo-2']);
    const run = wrapper(s, ['sh', '-c', 'echo "the job runs"; exit 0']);
    const waiting = await run.line(WAITING);
    expect(WAITING.exec(waiting)?.slice(1)).toEqual([
      '60',
      'ssh-job-1.training.sagemaker'
    ]);
    await run.line(/^fake-init: registered$/);
    // the copy Run Command runs, without the job's environment or bundle
    expect(readFileSync(join(s.state, 'sm-ssh-job.sh'), 'utf8')).toBe(
      readFileSync(SCRIPT, 'utf8')
    );
    expect(release(s)).toBe('released');
    expect(release(s)).toBe('already-released');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(release(s)).toBe('already-released');

    const markers = run.markers();
    expect(markers[0]).toBe(`sm-ssh-job: node 1 of 2 starts SSH (${s.init})`);
    expect(markers[1]).toMatch(WAITING);
    expect(markers[2]).toMatch(/^sm-ssh-job: released after [0-9] s$/);
    expect(markers.slice(3)).toEqual([
      'sm-ssh-job: running sh -c \'echo "the job runs"; exit 0\'',
      'sm-ssh-job: sh -c \'echo "the job runs"; exit 0\' exited with 0'
    ]);
    expect(run.stdout).toContain('the job runs');
    expect(run.stdout.indexOf('the job runs')).toBeGreaterThan(
      run.stdout.indexOf(markers[3])
    );
    // started once with the job's environment, stopped (SIGTERM) before the wrapper exited
    const [started, stopped, ...rest] = initLog(s);
    expect(started).toMatch(/^started (\d+) owner=AIDAEXAMPLEOWNER$/);
    expect(stopped).toBe(`stopped ${/\d+/.exec(started)![0]}`);
    expect(rest).toEqual([]);
    expect(run.stderr.filter(Boolean)).toEqual([]);
  });

  it('ends when its sm-wait process is killed (pkill sm-wait)', async () => {
    const s = scratch();
    const run = wrapper(s, ['true']);
    await run.line(WAITING);
    await run.line(/^fake-init: registered$/);
    const pid = run.child.pid!;
    const waits = childrenNamed(pid, 'sm-wait');
    expect(waits).toHaveLength(1);
    expect(readFileSync(`/proc/${waits[0]}/comm`, 'utf8').trim()).toBe(
      'sm-wait'
    );
    execFileSync('pkill', ['-x', 'sm-wait', '-P', String(pid)]);
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()).toEqual([
      `sm-ssh-job: node 1 of 1 starts SSH (${s.init})`,
      expect.stringMatching(WAITING),
      'sm-ssh-job: sm-wait was ended by a signal (pkill sm-wait)',
      expect.stringMatching(/^sm-ssh-job: released after [0-9] s$/),
      'sm-ssh-job: running true',
      'sm-ssh-job: true exited with 0'
    ]);
    expect(initLog(s)).toHaveLength(2);
  });

  it('ends by itself after SM_SSH_WAIT_SECONDS, and a release then is not-waiting', async () => {
    const s = scratch();
    const begun = Date.now();
    const run = wrapper(s, ['sh', '-c', 'sleep 1; echo done'], {
      SM_SSH_WAIT_SECONDS: '2'
    });
    await run.line(/^sm-ssh-job: no release within 2 s; going on$/);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(2000);
    await run.line(/^sm-ssh-job: running /);
    expect(release(s)).toBe('not-waiting');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers().slice(-3)).toEqual([
      'sm-ssh-job: no release within 2 s; going on',
      "sm-ssh-job: running sh -c 'sleep 1; echo done'",
      "sm-ssh-job: sh -c 'sleep 1; echo done' exited with 0"
    ]);
  });

  it('does not wait with SM_SSH_WAIT_SECONDS=0, but starts SSH; release is not-waiting', async () => {
    const s = scratch();
    const command = `${AFTER_INIT}sleep 1`;
    const run = wrapper(s, ['sh', '-c', command], {
      SM_SSH_WAIT_SECONDS: '0'
    });
    await run.line(/^sm-ssh-job: running /);
    expect(childrenNamed(run.child.pid!, 'sm-wait')).toEqual([]);
    expect(release(s)).toBe('not-waiting');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()).toEqual([
      `sm-ssh-job: node 1 of 1 starts SSH (${s.init})`,
      'sm-ssh-job: no wait for a connection (SM_SSH_WAIT_SECONDS=0)',
      `sm-ssh-job: running sh -c '${command}'`,
      `sm-ssh-job: sh -c '${command}' exited with 0`
    ]);
    expect(initLog(s)).toEqual([
      expect.stringMatching(/^started \d+/),
      expect.stringMatching(/^stopped \d+/)
    ]);
  });

  it('stops waiting when the init script ends by itself (no one can connect)', async () => {
    const s = scratch();
    const run = wrapper(s, ['true'], { FAKE_INIT_EXIT: '1' });
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()).toEqual([
      `sm-ssh-job: node 1 of 1 starts SSH (${s.init})`,
      expect.stringMatching(WAITING),
      'sm-ssh-job: sm-ssh-init.sh ended with exit code 1, so no one can connect: not waiting any longer',
      'sm-ssh-job: running true',
      'sm-ssh-job: true exited with 0'
    ]);
  });

  it('names a processing job by its processingjobconfig.json and reads its node from /opt/ml/config', async () => {
    const s = scratch();
    writeFileSync(
      join(s.ml, 'config', 'processingjobconfig.json'),
      JSON.stringify(
        {
          ProcessingJobArn:
            'arn:aws:sagemaker:us-east-1:123456789012:processing-job/prep-7',
          ProcessingJobName: 'prep-7',
          AppSpecification: { ImageUri: 'x' }
        },
        null,
        2
      )
    );
    resourceConfig(s.ml, 'config', 'algo-2', ['algo-1', 'algo-2']);
    const run = wrapper(s, ['true'], { TRAINING_JOB_NAME: '' });
    const waiting = await run.line(WAITING);
    expect(WAITING.exec(waiting)?.[2]).toBe('prep-7.processing.sagemaker');
    expect(run.markers()[0]).toBe(
      `sm-ssh-job: node 2 of 2 starts SSH (${s.init})`
    );
    expect(release(s)).toBe('released');
    expect(await run.exit).toEqual({ code: 0, signal: null });
  });
});

describe('sm-ssh-job.sh: nodes', () => {
  it('node 3 of 3 with SM_SSH_NODES=2 neither starts the init script nor waits', async () => {
    const s = scratch();
    resourceConfig(s.ml, 'input/config', 'algo-3', [
      'algo-1',
      'algo-2',
      'algo-3'
    ]);
    const run = wrapper(s, ['sh', '-c', 'exit 0']);
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()).toEqual([
      'sm-ssh-job: node 3 of 3 has no SSH (SM_SSH_NODES=2): not registering, not waiting',
      "sm-ssh-job: running sh -c 'exit 0'",
      "sm-ssh-job: sh -c 'exit 0' exited with 0"
    ]);
    expect(initLog(s)).toEqual([]);
    expect(release(s)).toBe('not-waiting');
  });

  it('node 2 of 3 with SM_SSH_NODES=2 starts SSH', async () => {
    const s = scratch();
    resourceConfig(s.ml, 'input/config', 'algo-2', [
      'algo-1',
      'algo-2',
      'algo-3'
    ]);
    const run = wrapper(s, ['sh', '-c', AFTER_INIT], {
      SM_SSH_WAIT_SECONDS: '0'
    });
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()[0]).toBe(
      `sm-ssh-job: node 2 of 3 starts SSH (${s.init})`
    );
    expect(initLog(s)).toHaveLength(2);
  });

  it('without resourceconfig.json is node 1 of 1', async () => {
    const s = scratch();
    const run = wrapper(s, ['true'], {
      SM_SSH_NODES: '1',
      SM_SSH_WAIT_SECONDS: '0'
    });
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.markers()[0]).toBe(
      `sm-ssh-job: node 1 of 1 starts SSH (${s.init})`
    );
  });
});

describe('sm-ssh-job.sh: the command', () => {
  it('exits with the command exit code', async () => {
    const s = scratch();
    const run = wrapper(s, ['sh', '-c', `${AFTER_INIT}exit 7`], {
      SM_SSH_WAIT_SECONDS: '0'
    });
    expect(await run.exit).toEqual({ code: 7, signal: null });
    expect(run.markers().at(-1)).toBe(
      `sm-ssh-job: sh -c '${AFTER_INIT}exit 7' exited with 7`
    );
    expect(initLog(s)[1]).toMatch(/^stopped /);
  });

  it('passes arguments with spaces, quotes, newlines and empty ones exactly, and its stdin', async () => {
    const s = scratch();
    const out = join(s.dir, 'argv.json');
    const words = [
      'a b',
      "it's",
      '"double"',
      '',
      '$HOME',
      '*',
      'line\nbreak',
      '\ttab',
      '--',
      'release',
      'ünïcødé',
      '=x',
      "'"
    ];
    const program =
      'const fs = require("fs"); fs.writeFileSync(process.argv[1], JSON.stringify({ argv: process.argv.slice(2), stdin: fs.readFileSync(0, "utf8") }))';
    const run = wrapper(
      s,
      [process.execPath, '-e', program, out, ...words],
      { SM_SSH_WAIT_SECONDS: '0' },
      'from stdin\n'
    );
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      argv: words,
      stdin: 'from stdin\n'
    });
    // the running line is one line that a POSIX shell reads back as the words (a newline shows as \n)
    const running = run
      .markers()
      .find(line => line.startsWith('sm-ssh-job: running '))!;
    const echoed = execFileSync(
      DASH,
      [
        '-c',
        `for word in ${running.slice('sm-ssh-job: running '.length)}; do printf '%s\\0' "$word"; done`
      ],
      { encoding: 'utf8' }
    );
    expect(echoed.split('\0').slice(0, -1)).toEqual([
      process.execPath,
      '-e',
      program,
      out,
      ...words.map(word => word.replace(/\n/g, '\\n'))
    ]);
    expect(run.markers().at(-1)).toBe(
      `sm-ssh-job: ${running.slice('sm-ssh-job: running '.length)} exited with 0`
    );
  });

  it('forwards SIGTERM to the command and exits with its code', async () => {
    const s = scratch();
    const run = wrapper(
      s,
      [
        'sh',
        '-c',
        `trap "echo got TERM; exit 5" TERM; ${AFTER_INIT}echo ready; while :; do sleep 0.1; done`
      ],
      { SM_SSH_WAIT_SECONDS: '0' }
    );
    await run.line(/^ready$/);
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 5, signal: null });
    expect(run.stdout).toContain('got TERM');
    expect(run.markers().at(-1)).toMatch(/exited with 5$/);
    expect(initLog(s)[1]).toMatch(/^stopped /);
  });

  it('passes SIGINT on as SIGTERM to a command that ignores SIGINT (as sh starts it), else as SIGINT', async () => {
    const s = scratch();
    // a background command of sh ignores SIGINT; python keeps that, so TERM stands in
    const ignoring = wrapper(
      s,
      [
        'sh',
        '-c',
        'trap "echo got TERM; exit 6" TERM; echo ready; while :; do sleep 0.1; done'
      ],
      { SM_SSH_WAIT_SECONDS: '0' }
    );
    await ignoring.line(/^ready$/);
    ignoring.child.kill('SIGINT');
    expect(await ignoring.exit).toEqual({ code: 6, signal: null });
    expect(ignoring.stdout).toContain('got TERM');

    // Node resets its signals at start, so it gets SIGINT itself
    const t = scratch();
    const node = wrapper(
      t,
      [
        process.execPath,
        '-e',
        'process.on("SIGINT", () => { console.log("got INT"); process.exit(9); }); console.log("ready"); setInterval(() => {}, 1000);'
      ],
      { SM_SSH_WAIT_SECONDS: '0' }
    );
    await node.line(/^ready$/);
    node.child.kill('SIGINT');
    expect(await node.exit).toEqual({ code: 9, signal: null });
    expect(node.stdout).toContain('got INT');
  });

  it('reports a command that is not there with exit code 127', async () => {
    const s = scratch();
    const run = wrapper(s, ['no-such-command-here'], {
      SM_SSH_WAIT_SECONDS: '0'
    });
    expect(await run.exit).toEqual({ code: 127, signal: null });
    expect(run.markers().at(-1)).toBe(
      'sm-ssh-job: no-such-command-here exited with 127'
    );
  });
});

describe('sm-ssh-job.sh: SIGTERM during the wait', () => {
  it('stops the init script, never runs the command, exits 143 and leaves nothing running', async () => {
    const s = scratch();
    const marker = join(s.dir, 'ran');
    const run = wrapper(s, ['sh', '-c', `touch ${marker}`]);
    await run.line(WAITING);
    await run.line(/^fake-init: registered$/);
    const [wait] = childrenNamed(run.child.pid!, 'sm-wait');
    const initPid = Number(/^started (\d+)/.exec(initLog(s)[0])![1]);
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 143, signal: null });
    expect(run.markers().at(-1)).toBe(
      'sm-ssh-job: got SIGTERM before the command started: stopping'
    );
    expect(existsSync(marker)).toBe(false);
    expect(initLog(s)[1]).toBe(`stopped ${initPid}`);
    expect(await gone(initPid)).toBe(true);
    expect(await gone(wait)).toBe(true);
    expect(release(s)).toBe('not-waiting');
  });
});

describe('sm-ssh-job.sh: release and errors', () => {
  it('release where no wrapper ran is not-waiting', () => {
    const s = scratch();
    expect(release(s, SCRIPT)).toBe('not-waiting');
  });

  it.each([
    [[], {}, 'no command to run'],
    [['true'], { SM_SSH_WAIT_SECONDS: 'ten' }, 'SM_SSH_WAIT_SECONDS "ten"'],
    [
      ['true'],
      { SM_SSH_WAIT_SECONDS: '432001' },
      'SM_SSH_WAIT_SECONDS "432001"'
    ],
    [['true'], { SM_SSH_NODES: '0' }, 'SM_SSH_NODES "0"']
  ])('refuses %j with %j: one line, exit 2', async (command, extra, what) => {
    const s = scratch();
    const run = wrapper(s, command, extra as Record<string, string>);
    expect(await run.exit).toEqual({ code: 2, signal: null });
    const lines = run.stderr.filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sm-ssh-job: error: .+; hint: .+$/);
    expect(lines[0]).toContain(what);
    expect(initLog(s)).toEqual([]);
  });

  it('reads 010 seconds as ten, not octal eight', async () => {
    const s = scratch();
    const run = wrapper(s, ['true'], { SM_SSH_WAIT_SECONDS: '010' });
    expect(WAITING.exec(await run.line(WAITING))?.[1]).toBe('10');
    expect(release(s)).toBe('released');
    expect(await run.exit).toEqual({ code: 0, signal: null });
  });

  it('runs the command without SSH when the init script is missing, saying so in one line', async () => {
    const s = scratch();
    const run = wrapper(s, ['sh', '-c', 'exit 3'], {
      SM_SSH_INIT: join(s.dir, 'missing.sh')
    });
    expect(await run.exit).toEqual({ code: 3, signal: null });
    expect(run.stderr.filter(Boolean)).toEqual([
      expect.stringMatching(
        /^sm-ssh-job: error: no .*missing\.sh, so this node has no SSH; hint: /
      )
    ]);
    expect(run.markers().at(-1)).toBe(
      "sm-ssh-job: sh -c 'exit 3' exited with 3"
    );
  });
});

describe('sm-ssh-job.sh as SageMaker runs it: PID 1 with a private /tmp', () => {
  /**
   * The wrapper as PID 1 of new PID and mount namespaces whose /tmp is a fresh tmpfs (the scratch directory
   * bind-mounted back at /tmp/c), with the default state directory.
   */
  function inNamespace(s: IScratch, command: string[]): Run {
    const inside = (path: string) => path.replace(s.dir, '/tmp/c');
    const script = [
      `cd ${s.dir}`,
      'mount -t tmpfs tmpfs /tmp',
      'mkdir /tmp/c',
      'mount --no-canonicalize --bind . /tmp/c',
      'cd /',
      `exec ${DASH} "$@"`
    ].join(' && ');
    const environment: Record<string, string> = {
      ...env(s),
      SM_SSH_INIT: inside(s.init),
      SM_SSH_ML_ROOT: inside(s.ml),
      FAKE_INIT_LOG: inside(s.initLog)
    };
    delete environment.SM_SSH_JOB_STATE;
    return new Run(
      'unshare',
      [
        '--mount',
        '--pid',
        '--fork',
        '--mount-proc',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        script,
        'sh',
        SCRIPT,
        ...command
      ],
      environment
    );
  }

  /** The namespace's PID 1 as the parent namespace sees it: unshare's child. */
  function pidOne(run: Run): number {
    const pid = run.child.pid!;
    const children = readFileSync(
      `/proc/${pid}/task/${pid}/children`,
      'utf8'
    ).trim();
    return Number(children.split(' ')[0]);
  }

  function releaseInside(pid: number): string {
    return execFileSync(
      'nsenter',
      ['-t', String(pid), '-m', '--', '/bin/sh', '-c', JOB_RELEASE_COMMAND],
      { encoding: 'utf8' }
    ).trim();
  }

  it('JOB_RELEASE_COMMAND names the state directory of RELEASE_FILE', () => {
    expect(RELEASE_FILE).toBe(`${JOB_STATE_DIR}/release`);
    expect(JOB_RELEASE_COMMAND).toContain(
      `${JOB_STATE_DIR}/sm-ssh-job.sh release`
    );
  });

  it('JOB_RELEASE_COMMAND is not-waiting in a container where no wrapper ran', () => {
    const out = execFileSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        `mount -t tmpfs tmpfs /tmp && ${JOB_RELEASE_COMMAND}`
      ],
      { encoding: 'utf8' }
    );
    expect(out.trim()).toBe('not-waiting');
  });

  it('is released by JOB_RELEASE_COMMAND from outside, runs the command as a child and exits with its code', async () => {
    const s = scratch();
    const run = inNamespace(s, ['sh', '-c', 'echo "command pid $$"; exit 4']);
    await run.line(WAITING);
    await run.line(/^fake-init: registered$/);
    const pid = pidOne(run);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(
      /^NSpid:\s+\d+\s+1$/m
    );
    expect(releaseInside(pid)).toBe('released');
    expect(releaseInside(pid)).toBe('already-released');
    expect(await run.exit).toEqual({ code: 4, signal: null });
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^command pid \d+$/)
    );
    expect(run.markers()).toContainEqual(
      expect.stringMatching(/^sm-ssh-job: released after [0-9] s$/)
    );
    expect(initLog(s)[1]).toMatch(/^stopped /);
    // the state stayed in the namespace's /tmp
    expect(existsSync(join(s.dir, 'state'))).toBe(false);
  });

  it('takes SIGTERM from the parent namespace during the wait (PID 1 gets only trapped signals): 143, init stopped', async () => {
    const s = scratch();
    const run = inNamespace(s, ['true']);
    await run.line(WAITING);
    await run.line(/^fake-init: registered$/);
    process.kill(pidOne(run), 'SIGTERM');
    expect(await run.exit).toEqual({ code: 143, signal: null });
    expect(initLog(s)[1]).toMatch(/^stopped /);
  });
});
