/**
 * The CLI as users run it, as real processes against the sandbox's demo fleet (real sshd hosts): list, exec and
 * connect by name (node 2 too), exit statuses, --json, the other user's instance refused, cp of 64 MiB in parallel
 * ranges with the same SHA-256, ssh-config --write and then real OpenSSH by name with the pinned known_hosts, a
 * changed host key refused by both until `sm-ssh forget`, and bad input answered with exit 2.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ISandbox } from '../src/sandbox/index.js';
import { CLI, runCli, runProcess, sandboxEnv } from './harness/cloud.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let sandbox: ISandbox;
let caller: string;
let scratch: string;
let env: Record<string, string>;

const TRAINING = 'ssh-training-demo.training.sagemaker';
const hostOf = (name: string, node = 0) => cloud.nodeOf(name, node);

/** Runs a process with the test's environment; `input` is its stdin. */
const spawnCollect = (command: string, args: string[], input = '') =>
  runProcess(command, args, env, input);

const sm = (args: string[], input?: string) => runCli(args, env, input);

const ssh = (args: string[]) =>
  spawnCollect('ssh', [
    '-F',
    join(scratch, 'ssh_config'),
    '-o',
    'BatchMode=yes',
    ...args
  ]);

beforeAll(async () => {
  cloud = await startDemoCloud({ pacing: false });
  ({ sandbox, caller } = cloud);
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-cli-'));
  env = {
    ...sandboxEnv(sandbox),
    AWS_MAX_ATTEMPTS: '1',
    HOME: scratch,
    SM_SSH_CONFIG_DIR: join(scratch, 'config')
  };
}, 120_000);

afterAll(async () => {
  await cloud?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('sm-ssh list', () => {
  it('lists every target with its kind, status, ping, nodes, owner and whether it is mine', async () => {
    const result = await sm(['list', '--json']);
    expect(result.code).toBe(0);
    const targets = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    const byName = Object.fromEntries(targets.map(t => [t.target, t]));
    expect(byName[TRAINING]).toMatchObject({
      kind: 'training',
      status: 'InProgress',
      ping: 'Online',
      nodes: 2,
      owner: caller,
      mine: true
    });
    expect(byName['bob-training-job.training.sagemaker']).toMatchObject({
      owner: 'AROAEXAMPLEOTHER:bob',
      mine: false
    });
    expect(byName['ssh-endpoint-demo.inference.sagemaker']).toMatchObject({
      kind: 'inference',
      status: 'InService',
      ping: 'Online',
      nodes: 1
    });
    expect(targets.map(t => t.kind)).toEqual(
      expect.arrayContaining(['processing', 'transform', 'notebook', 'studio'])
    );
    const human = await sm(['list', '--kind', 'training', '--mine']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^TARGET\s+KIND\s+STATUS\s+PING\s+NODES\s+AGE\s+OWNER$/
    );
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${TRAINING.replace(/\./g, '\\.')}\\s+training\\s+InProgress\\s+Online\\s+2\\s+\\S+\\s+${caller.replace(/[:.]/g, '\\$&')} \\(you\\)$`
      )
    );
  });
});

describe('sm-ssh exec and connect', () => {
  it('runs a command by name and exits with its status', async () => {
    const result = await sm(['exec', TRAINING, '--', 'hostname']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(hostOf('ssh-training-demo').hostname);
    const failing = await sm(['exec', TRAINING, '--', 'exit 3']);
    expect(failing.code).toBe(3);
    const json = await sm([
      'exec',
      TRAINING,
      '--json',
      '--',
      'echo out; echo err >&2; exit 4'
    ]);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({
      target: TRAINING,
      instanceId: hostOf('ssh-training-demo').instanceId,
      node: 1,
      user: 'root',
      exitCode: 4,
      stdout: 'out\n',
      stderr: 'err\n'
    });
  });

  it('reaches node 2, and runs a shell fed from a pipe', async () => {
    const node2 = await sm([
      'connect',
      TRAINING,
      '--node',
      '2',
      '--',
      'hostname'
    ]);
    expect(node2.code).toBe(0);
    expect(node2.stdout.trim()).toBe(hostOf('ssh-training-demo', 1).hostname);
    const shell = await sm(
      [
        'connect',
        'ssh-notebook-demo.notebook.sagemaker',
        '--no-default-forwards'
      ],
      'echo from-a-shell\nexit 5\n'
    );
    expect(shell.stdout).toContain('from-a-shell');
    expect(shell.code).toBe(5);
  });

  it('gives an interactive shell a PTY of the local size, and follows a resize', async () => {
    // script(1) runs sm-ssh on a pseudo-terminal; a background stty resizes it, which sends SIGWINCH
    const inner = [
      'stty cols 123 rows 45',
      // a background job's stdin is /dev/null: name the terminal
      'T=$(tty)',
      '(sleep 3; stty cols 150 rows 50 < "$T") &',
      `exec ${process.execPath} ${CLI} connect ssh-notebook-demo.notebook.sagemaker --no-default-forwards`
    ].join('\n');
    const result = await spawnCollect(
      'script',
      ['-qfec', inner, '/dev/null'],
      'tty; stty size; sleep 5; stty size; exit 7\n'
    );
    expect(result.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(result.stdout).toContain('45 123');
    expect(result.stdout).toContain('50 150');
    expect(result.code).toBe(7);
  }, 60_000);

  it("sets up the kind's default forwards for a shell (training: -L 11022, -R 12345)", async () => {
    // the sandbox's instances share the machine's network, so their sshd is not on localhost:22 there: this checks
    // that both ends listen, which is what the defaults are for (an IDE on 11022, PyCharm's debug server on 12345)
    const session = spawnCollect(
      process.execPath,
      [CLI, 'connect', TRAINING, '--verbose'],
      "sleep 2; bash -c 'echo > /dev/tcp/127.0.0.1/12345' && echo R-LISTENS; sleep 2; exit 0\n"
    );
    const listening = await new Promise<boolean>(resolve => {
      const started = Date.now();
      const attempt = () => {
        const socket = tcpConnect(11022, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () =>
          Date.now() - started > 20_000
            ? resolve(false)
            : setTimeout(attempt, 100)
        );
      };
      attempt();
    });
    expect(listening).toBe(true);
    const result = await session;
    expect(result.stderr).toContain(
      'forwarding -L 127.0.0.1:11022:localhost:22 -R 127.0.0.1:12345:localhost:12345'
    );
    expect(result.stdout).toContain('R-LISTENS');
    expect(result.code).toBe(0);
  }, 60_000);

  it("refuses another user's instance, with the reason", async () => {
    const result = await sm([
      'exec',
      'bob-training-job.training.sagemaker',
      '--',
      'true'
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'belongs to AROAEXAMPLEOTHER:bob, not to you'
    );
    expect(result.stderr).toContain('${aws:userid}');
  });

  it('answers bad input with one line and exit 2, before any AWS call', async () => {
    for (const args of [
      ['exec', 'x.trainin.sagemaker', '--', 'true'],
      ['exec', TRAINING],
      ['connect', TRAINING, '-L', 'nope', '--', 'true'],
      ['connect', TRAINING, '--node', '0', '--', 'true'],
      ['cp', 'a', 'b'],
      ['cp', 'missing-file', `${TRAINING}:/tmp/`],
      [
        'exec',
        TRAINING,
        '--identity',
        join(scratch, 'no-such-key'),
        '--',
        'true'
      ]
    ]) {
      const calls = sandbox.calls.total;
      const result = await sm(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(sandbox.calls.total).toBe(calls);
      expect(result.stderr).toMatch(/^sm-ssh: error: .+\n {2}hint: .+\n$/);
    }
  });
});

describe('sm-ssh forward by name', () => {
  it("resolves the name and forwards a local port to the container's sshd, no SSH key needed", async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'forward',
        'ssh-notebook-demo.notebook.sagemaker',
        '-L',
        '0:localhost:22'
      ],
      { env: { PATH: process.env.PATH ?? '', ...env } }
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let stdout = '';
        child.stdout.on('data', chunk => {
          stdout += String(chunk);
          const match =
            /Forwarding 127\.0\.0\.1:(\d+) -> mi-[0-9a-f]{17} /.exec(stdout);
          if (match) {
            resolve(Number(match[1]));
          }
        });
        child.once('close', code =>
          reject(new Error(`forward exited ${code}`))
        );
      });
      const banner = await new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(port, '127.0.0.1');
        socket.once('data', chunk => {
          resolve(String(chunk));
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    } finally {
      child.kill('SIGINT');
      await new Promise(resolve => child.once('close', resolve));
    }
  });
});

describe('sm-ssh cp', () => {
  it('copies 64 MiB up in 4 parallel sessions and back down in 8 (the default for 64 MiB) with the same SHA-256', async () => {
    const data = randomBytes(64 * 1024 * 1024);
    const sha = createHash('sha256').update(data).digest('hex');
    const local = join(scratch, 'model.bin');
    writeFileSync(local, data);
    const target = 'ssh-transform-demo.transform.sagemaker';
    const up = await sm([
      'cp',
      '--parallel',
      '4',
      '--json',
      local,
      `${target}:/tmp/`
    ]);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      direction: 'upload',
      remotePath: '/tmp/model.bin',
      bytes: data.length,
      sessions: 4
    });
    const remote = await sm(['exec', target, '--', 'sha256sum /tmp/model.bin']);
    expect(remote.stdout.split(' ')[0]).toBe(sha);
    const back = join(scratch, 'back.bin');
    const down = await sm(['cp', `${target}:/tmp/model.bin`, back]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(
      /^downloaded 64\.0 MiB from ssh-transform-demo\.transform\.sagemaker:\/tmp\/model\.bin in [\d.]+ s over 8 sessions\n$/
    );
    expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(
      sha
    );
  }, 120_000);
});

describe('sm-ssh ssh-config and OpenSSH by name', () => {
  it('writes the block once, and ssh <name> then works with the pinned host keys', async () => {
    const config = join(scratch, 'ssh_config');
    writeFileSync(config, 'Host *\n  User nobody\n');
    const first = await sm(['ssh-config', '--write', '--config', config]);
    expect(first.code).toBe(0);
    const again = await sm(['ssh-config', '--write', '--config', config]);
    expect(again.stdout).toContain('already has this block');
    const text = readFileSync(config, 'utf8');
    expect(text.indexOf('Host *.sagemaker')).toBeLessThan(
      text.indexOf('Host *\n')
    );
    expect(text.match(/Host \*\.sagemaker/g)).toHaveLength(1);
    const result = await ssh([TRAINING, 'hostname']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(hostOf('ssh-training-demo').hostname);
    const studio = await ssh([
      'datascience-1-0-ml-t3-medium-demo.studio.sagemaker',
      'echo studio'
    ]);
    expect(studio.stdout).toBe('studio\n');
  });

  it('creates one key when eight processes start at once on a fresh config dir, and every one of them uses it', async () => {
    const dir = join(scratch, 'fresh-config');
    const runs = await Promise.all(
      Array.from({ length: 8 }, () =>
        sm(['ssh-config', '--json', '--config-dir', dir])
      )
    );
    for (const run of runs) {
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({
        identity: join(dir, 'id_ed25519')
      });
    }
    const fingerprint = (file: string) =>
      execFileSync('ssh-keygen', ['-l', '-f', file]).toString().split(' ')[1];
    // the private key, its .pub and what OpenSSH derives from the private key are one key
    expect(fingerprint(join(dir, 'id_ed25519.pub'))).toBe(
      fingerprint(join(dir, 'id_ed25519'))
    );
    expect(readdirSync(dir).sort()).toEqual(['id_ed25519', 'id_ed25519.pub']);
    expect(statSync(join(dir, 'id_ed25519')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'id_ed25519.pub')).mode & 0o777).toBe(0o644);
  });

  it('refuses a changed host key (ours and OpenSSH) until sm-ssh forget', async () => {
    const target = 'ssh-processing-demo.processing.sagemaker';
    expect((await sm(['exec', target, '--', 'true'])).code).toBe(0);
    expect((await ssh([target, 'true'])).code).toBe(0);
    const host = hostOf('ssh-processing-demo');
    for (const type of ['ed25519', 'ecdsa']) {
      const file = join(host.etcSsh, `ssh_host_${type}_key`);
      rmSync(file, { force: true });
      rmSync(`${file}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    }
    const ours = await sm(['exec', target, '--', 'true']);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toContain('has changed');
    expect(ours.stderr).toContain(`sm-ssh forget ${target}`);
    const openssh = await ssh([target, 'true']);
    expect(openssh.code).toBe(255);
    expect(openssh.stderr).toMatch(
      /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/
    );
    const forget = await sm(['forget', target]);
    expect(forget.code).toBe(0);
    expect(forget.stdout).toMatch(/^forgot \d+ host key lines of /);
    expect((await sm(['exec', target, '--', 'echo ok'])).stdout).toBe('ok\n');
    expect((await ssh([target, 'echo ok'])).stdout).toBe('ok\n');
  });
});
