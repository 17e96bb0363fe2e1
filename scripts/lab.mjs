// `npm run demo` (through scripts/demo.sh, after bootstrap): JupyterLab with the sagemaker-ssh extension on the local
// sandbox, as it would run in a SageMaker Studio space. No AWS account is needed.
//
// 1. The sandbox in this process, as `sm-ssh sandbox up` runs it in the foreground: moto (IAM, STS, S3, most of
//    SageMaker) behind the sm-ssh sandbox (SSM, sessions, the SageMaker and Logs fronts), and the demo fleet of
//    managed instances with real sshd hosts and the SageMaker resources behind them, owned by the caller that the
//    fake credentials are in moto's STS (bob's job excepted).
// 2. A Studio-like execution role, AmazonSageMaker-ExecutionRole-Studio, on which `sm-ssh setup apply --studio` ran,
//    and then ONE statement of the client policy was taken out (ssm:StartSession on the AWS-StartSSHSession
//    document), so the panel's setup check shows exactly one MISSING item with its fix.
// 3. A training job launched with SSH (`sm-ssh job start --no-wait`, role: the demo fleet's execution role): one
//    node that waits an hour for a connection, then prints, sleeps 30 s and exits 0; the sandbox runs it, so it
//    becomes a target and shows in the panel as waiting until someone releases it.
// 4. A fake Studio resource-metadata.json naming that role (SM_SSH_RESOURCE_METADATA), a scratch HOME for the
//    sm-ssh key and pins (never yours), a scratch work dir as Jupyter's root, `sm-ssh` on the terminals' PATH.
// 5. `jupyter lab` from .venv/ (the extension installed editable by bootstrap; jupyter-server-proxy starts
//    `sm-ssh serve` behind /sm-ssh/ on the first request, which this script makes so the bridge is warm), on
//    127.0.0.1 with a random token; it prints the URL. Ctrl-C (or SIGTERM) stops JupyterLab, then the sandbox, and
//    removes the scratch dirs.
//
// --galata: the web server of the UI tests (ui-tests/playwright.config.js): Galata's server settings
// (ui-tests/jupyter_server_test_config.py: no token, port SM_SSH_UI_PORT), Jupyter's log on stderr, and what the
// tests need to know about the sandbox written to SM_SSH_UI_STATE (default ui-tests/.sandbox-state.json) before
// Jupyter starts: the caller's UserId, the execution role and the statement taken out, per demo instance its id,
// name, kind, node (0-based, newest first, as IDemoFleet), owner, resource ARN and sshd host's hostname, and the job
// launched with SSH (`job`: its name, target, ARN, wait and the release command).
//
// Usage: node scripts/lab.mjs [--port N] [--verbose] | --galata
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = fileURLToPath(new URL('..', import.meta.url));
const venv = join(root, '.venv');
const jupyter = join(venv, 'bin', 'jupyter');
const python = join(venv, 'bin', 'python');
const sdkDist = join(root, 'sdk', 'dist', 'index.js');
const ROLE_NAME = 'AmazonSageMaker-ExecutionRole-Studio';
const DOMAIN_ID = 'd-ssh-demo';
const SPACE_NAME = 'ssh-demo-space';
const REGION = 'us-east-1';
// moto's account; the demo fleet creates this role with the guide's trust and server policy (what a job's role needs)
const DEMO_ROLE_ARN = 'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-demo';
const JOB_NAME = 'ssh-job-demo';
const JOB_WAIT_SECONDS = 3600;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node scripts/lab.mjs [--port N] [--verbose] | --galata\n' +
    '  JupyterLab with the sagemaker-ssh extension on the local sandbox (what `npm run demo` runs).\n' +
    '  --port N    Jupyter\'s port (default 8888, or a free one when 8888 is taken)\n' +
    '  --verbose   show all of Jupyter\'s log (default: warnings, errors and sm-ssh serve\'s lines)\n' +
    '  --galata    the UI tests\' server: Galata\'s settings, port $SM_SSH_UI_PORT, state in $SM_SSH_UI_STATE');
  process.exit(0);
}
const galata = args.includes('--galata');
const verbose = galata || args.includes('--verbose');
const portFlag = args.includes('--port') ? args[args.indexOf('--port') + 1] : undefined;
const statePath = galata ? (process.env.SM_SSH_UI_STATE || join(root, 'ui-tests', '.sandbox-state.json')) : undefined;

const tty = process.stdout.isTTY && !galata;
const bold = text => (tty ? `\x1b[1m${text}\x1b[0m` : text);
// in Galata mode stdout is Playwright's; everything goes to stderr, which it shows
const say = line => (galata ? process.stderr : process.stdout).write(`${bold('sm-ssh lab:')} ${line}\n`);
const fail = (message, hint) => {
  process.stderr.write(`sm-ssh lab: error: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
  process.exit(1);
};

// Preconditions: what bootstrap installs. Fail with the fix, never half-start.
if (!existsSync(jupyter)) {
  fail(`${relative(root, jupyter)} is missing`, 'run `bash scripts/bootstrap.sh` (npm run demo does)');
}
if (!existsSync(sdkDist)) {
  fail(`${relative(root, sdkDist)} is missing`, 'run `npm run build -w sdk` (bootstrap does)');
}

/** Runs a process to its end, asynchronously (the sandbox answers from this process's event loop). */
function run(command, argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.once('error', reject);
    child.once('close', code => resolve({ code, stdout, stderr }));
  });
}

// What jupyter-server-proxy will run for /sm-ssh/ (the extension's own entry point, from .venv)
const probe = await run(python, ['-I', '-c', [
  'import json',
  'from importlib.metadata import entry_points',
  'found = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == "sm-ssh"]',
  'print(json.dumps(found[0].load()() if found else None))'
].join('\n')]);
const proxyConfig = probe.code === 0 ? JSON.parse(probe.stdout.trim().split('\n').pop() || 'null') : null;
if (!proxyConfig) {
  fail(
    `the extension's jupyter-server-proxy entry point (sm-ssh) is not installed in .venv${probe.stderr ? `: ${probe.stderr.trim().split('\n').pop()}` : ''}`,
    'run `bash scripts/bootstrap.sh`, which installs the extension into .venv (pip install -e .)'
  );
}
if (proxyConfig.command[2] !== 'serve') {
  const at = proxyConfig.command.indexOf('--unavailable');
  fail(`jupyter-server-proxy cannot start sm-ssh serve: ${proxyConfig.command[at + 1]}`, proxyConfig.command[at + 3]);
}
const [node, cli] = proxyConfig.command;

const { createDemoFleet, SANDBOX_CREDENTIALS, sandboxCaller, sandboxEnv, startSandbox } = await import(sdkDist);
const { IAMClient, CreateRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } = await import('@aws-sdk/client-iam');

const port = galata ? Number(process.env.SM_SSH_UI_PORT || 8888) : await choosePort(portFlag);
const scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-lab-'));
const home = join(scratch, 'home');
const work = join(scratch, 'work');
const bin = join(scratch, 'bin');
// Jupyter's TMPDIR: jupyter-server-proxy's private socket directory (which it never removes) goes with the rest
const tmp = join(scratch, 'tmp');
const metadataFile = join(scratch, 'metadata', 'resource-metadata.json');
for (const dir of [home, work, bin, tmp, dirname(metadataFile)]) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

let sandbox;
let lab;
let stopping;
// A Ctrl-C during the setup is acted on between its steps (each creates processes that cleanUp must see)
let stopRequested = false;
const checkpoint = async () => {
  if (stopRequested) {
    await stop(0);
  }
};
async function cleanUp() {
  if (lab && lab.exitCode === null && lab.signalCode === null) {
    // Jupyter runs in its own process group (so a terminal's Ctrl-C reaches only us, and Jupyter never asks
    // "Shutdown this Jupyter server?"); its children (sm-ssh serve, kernels, terminals) are in that group too
    const exited = new Promise(resolve => lab.once('exit', resolve));
    signalGroup(lab.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(lab.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (lab) {
    signalGroup(lab.pid, 'SIGKILL'); // whatever of Jupyter's group outlived it
  }
  await sandbox?.close().catch(error => say(`closing the sandbox: ${error.message}`));
  if (statePath) {
    rmSync(statePath, { force: true });
  }
  rmSync(scratch, { recursive: true, force: true });
}
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
function stop(code) {
  stopping ??= cleanUp().then(() => process.exit(code));
  return stopping;
}
function onSignal(signal) {
  if (stopping || stopRequested) {
    process.exit(130); // a second Ctrl-C: now
  }
  if (signal === 'SIGINT') {
    say('stopping JupyterLab and the sandbox…');
  }
  if (lab) {
    stop(0);
  } else {
    stopRequested = true;
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  // 1. the sandbox and the demo fleet, owned by the caller the fake credentials are
  sandbox = await startSandbox({ motoServer: join(venv, 'bin', 'moto_server') });
  await checkpoint();
  const env = sandboxEnv(sandbox);
  const credentials = {
    accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
  };
  const caller = await sandboxCaller(sandbox);
  const fleet = await createDemoFleet(sandbox.ssm.instances, {
    owner: caller,
    cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker }
  });
  await checkpoint();
  say(`moto on ${sandbox.moto.url}, the sm-ssh sandbox on ${sandbox.url}`);
  const targets = new Set(fleet.instances.map(i => `${i.name}.${i.kind}`)).size;
  say(`demo fleet: ${fleet.instances.length} managed instances with real sshd (${targets} targets), SSHOwner ${caller} (you) except bob's job`);
  say(`demo fleet: ${fleet.spaces.length} Studio spaces reached through SageMaker remote access: ${fleet.spaces.map(space => `${space.target} (${space.remoteAccess === 'ENABLED' ? 'on' : 'off'})`).join(', ')}`);

  // 2. the Studio execution role: set up, then one statement of the client policy taken out
  const iam = new IAMClient({ region: REGION, endpoint: env.AWS_ENDPOINT_URL_IAM, credentials });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: ROLE_NAME, Path: '/service-role/', AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role.Arn;
  const cliEnv = { PATH: process.env.PATH, HOME: home, ...env, AWS_MAX_ATTEMPTS: '1' };
  const smSsh = async (...argv) => {
    const result = await run(node, [cli, ...argv], { env: cliEnv });
    return { ...result, json: result.stdout.trim() ? JSON.parse(result.stdout) : undefined };
  };
  const studioRole = ['--studio', '--sagemaker-role', roleArn, '--regions', REGION, '--json'];
  const applied = await smSsh('setup', 'apply', ...studioRole);
  if (applied.code !== 0) {
    throw new Error(`sm-ssh setup apply --studio failed (${applied.code}): ${applied.stderr.trim()}`);
  }
  const policyName = 'SSHSageMakerClientPolicy';
  const current = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: policyName }));
  const policy = JSON.parse(decodeURIComponent(current.PolicyDocument));
  const removed = policy.Statement.findIndex(s => s.Action === 'ssm:StartSession' && String(s.Resource).endsWith(':document/AWS-StartSSHSession'));
  if (removed < 0) {
    throw new Error(`${policyName} has no ssm:StartSession statement on the AWS-StartSSHSession document to take out`);
  }
  const [statement] = policy.Statement.splice(removed, 1);
  await iam.send(new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: policyName, PolicyDocument: JSON.stringify(policy) }));
  iam.destroy();
  const check = await smSsh('setup', 'check', ...studioRole);
  await checkpoint();
  const missing = check.json?.items.filter(item => item.status === 'MISSING') ?? [];
  if (check.code !== 1 || missing.length !== 1) {
    throw new Error(`the setup check should show exactly one MISSING item, but it shows ${missing.length} (exit ${check.code}): ${check.stderr.trim() || missing.map(m => m.title).join('; ')}`);
  }
  say(`Studio execution role ${roleArn}: \`sm-ssh setup apply --studio\` ran (${applied.json.changes.length} changes), then ${policyName}'s statement ${statement.Effect} ${statement.Action} on ${statement.Resource} was taken out`);
  say(`\`sm-ssh setup check --studio\` now: ${check.json.summary.missing} MISSING ("${missing[0].title}"), ${check.json.summary.ok} OK, ${check.json.summary.warnings} warning(s)`);

  // 3. a training job launched with SSH: waiting for a connection until released (or an hour has passed)
  const job = await startSshJob(smSsh, DEMO_ROLE_ARN);
  await checkpoint();
  say(`training job ${job.jobName} launched with SSH on 1 node, waiting up to ${job.waitSeconds / 3600} h for a connection (the panel shows it; \`${job.release}\` ends the wait)`);

  // 4. what a Studio space has: the resource metadata, the execution role's credentials (here: the fake ones)
  const resourceArn = `arn:aws:sagemaker:${REGION}:123456789012:app/${DOMAIN_ID}/${SPACE_NAME}/jupyterlab/default`;
  writeFileSync(metadataFile, `${JSON.stringify({
    AppType: 'JupyterLab',
    DomainId: DOMAIN_ID,
    SpaceName: SPACE_NAME,
    UserProfileName: '',
    ExecutionRoleArn: roleArn,
    ResourceArn: resourceArn,
    ResourceName: 'default',
    AppImageVersion: ''
  }, null, 2)}\n`);
  // `sm-ssh …` in the lab's terminals: the same CLI the panel's bridge runs
  writeFileSync(join(bin, 'sm-ssh'), `#!/bin/sh\nexec ${shellWord(node)} ${shellWord(cli)} "$@"\n`);
  chmodSync(join(bin, 'sm-ssh'), 0o755);
  // Jupyter's terminals are login shells, whose /etc/profile resets PATH: put it back in front
  writeFileSync(join(home, '.profile'), `# scripts/lab.mjs: sm-ssh (the CLI the panel runs) and the venv on the terminals' PATH\nPATH=${shellWord(bin)}:${shellWord(join(venv, 'bin'))}:"$PATH"\n`);

  // 5. JupyterLab
  const token = galata ? '' : randomBytes(24).toString('hex');
  const labEnv = {
    // the user's AWS and Jupyter settings stay out: the lab reaches only the sandbox
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|SM_SSH_|JUPYTER|HOME$)/.test(key))),
    ...env,
    HOME: home,
    TMPDIR: tmp,
    PATH: [bin, join(venv, 'bin'), process.env.PATH].join(':'),
    AWS_DEFAULT_REGION: REGION,
    SM_SSH_RESOURCE_METADATA: metadataFile,
    // the token through the environment, not the command line that `ps` shows every local user
    ...(token ? { JUPYTER_TOKEN: token } : {}),
    SAGEMAKER_APP_TYPE: 'JupyterLab',
    SAGEMAKER_SPACE_NAME: SPACE_NAME,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(galata ? { SM_SSH_UI_PORT: String(port), JUPYTERLAB_GALATA_ROOT_DIR: work } : {})
  };
  const labArgs = galata
    ? ['lab', '--config', join(root, 'ui-tests', 'jupyter_server_test_config.py')]
    : [
        'lab',
        '--no-browser',
        '--ServerApp.ip=127.0.0.1',
        `--ServerApp.port=${port}`,
        '--ServerApp.port_retries=0',
        `--ServerApp.root_dir=${work}`,
        ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : [])
      ];
  // before Jupyter starts: Playwright may begin as soon as JupyterLab answers
  if (statePath) {
    const host = id => sandbox.ssm.instances.require(id).host;
    const state = {
      url: `http://127.0.0.1:${port}/lab`,
      sandboxUrl: sandbox.url,
      motoUrl: sandbox.moto.url,
      caller,
      executionRoleArn: roleArn,
      removedStatement: { policyName, statement },
      missing: missing.map(({ id, title }) => ({ id, title })),
      resourceMetadata: metadataFile,
      home,
      smSshCommand: [node, cli],
      instances: fleet.instances.map(({ instanceId, name, kind, node: index, owner, resourceArn }) => ({
        instanceId,
        name,
        kind,
        node: index,
        owner: owner ?? '',
        resourceArn: resourceArn ?? '',
        hostname: host(instanceId)?.hostname ?? ''
      })),
      identityFile: fleet.identityFile,
      job: { name: job.jobName, target: job.target, arn: job.jobArn, waitSeconds: job.waitSeconds, release: job.release },
      env
    };
    mkdirSync(dirname(statePath), { recursive: true });
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    say(`sandbox details for the UI tests in ${relative(root, statePath)}`);
  }

  const logFile = join(scratch, 'jupyter.log');
  const log = createWriteStream(logFile);
  const recent = [];
  await checkpoint();
  lab = spawn(jupyter, labArgs, { env: labEnv, cwd: galata ? join(root, 'ui-tests') : work, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let level = 'I';
  const onOutput = chunk => {
    log.write(chunk);
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      level = /^\[([A-Z]) \d{4}-/.exec(line)?.[1] ?? level;
      recent.push(line);
      recent.splice(0, recent.length - 40);
      // Jupyter's info lines (and the URL it prints) are its own business; warnings, errors, sm-ssh serve's are ours
      if (verbose || 'WEC'.includes(level) || line.startsWith('sm-ssh')) {
        process.stderr.write(`${line}\n`);
      }
    }
  };
  lab.stdout.on('data', onOutput);
  lab.stderr.on('data', onOutput);
  const exited = new Promise(resolve => lab.once('exit', (code, signal) => resolve(code ?? signal)));
  const base = `http://127.0.0.1:${port}`;
  const headers = token ? { Authorization: `token ${token}` } : {};
  const ready = await Promise.race([waitFor(`${base}/api/status`, headers, 120_000), exited.then(code => ({ exited: code }))]);
  if (ready !== true) {
    process.stderr.write(recent.map(line => `  | ${line}\n`).join(''));
    throw new Error(ready?.exited !== undefined ? `jupyter lab exited (${ready.exited}) before it was ready` : 'jupyter lab did not answer in 120 s');
  }
  // the first request starts sm-ssh serve behind jupyter-server-proxy: now, rather than when the panel first asks
  const info = await fetch(`${base}/sm-ssh/api/info`, { headers }).then(async r => ({ status: r.status, body: await r.text() }));
  if (info.status !== 200) {
    throw new Error(`${base}/sm-ssh/api/info answered ${info.status}: ${info.body.slice(0, 300)}`);
  }
  const bridge = JSON.parse(info.body);
  say(`JupyterLab from .venv with sagemaker-ssh-jupyterlab; /sm-ssh/ is \`${relative(root, cli)} serve\` behind jupyter-server-proxy (sm-ssh ${bridge.version}, ${bridge.studio ? 'Studio metadata read' : 'no Studio metadata'}, region ${bridge.region})`);
  say(`scratch HOME ${home} (the sm-ssh key and pins), Jupyter root ${work}`);

  const url = `${base}/lab${token ? `?token=${token}` : ''}`;
  const out = galata ? process.stderr : process.stdout;
  out.write(`\n  ${bold('JupyterLab with the SageMaker SSH panel is ready. Open:')}\n\n      ${bold(url)}\n\n`);
  if (!galata) {
    out.write('  In the left sidebar: the demo targets, the setup check (one item MISSING), terminals that `sm-ssh connect`,\n');
    out.write(`  and ${JOB_NAME}, a job launched with SSH that waits for a connection: Release ends its wait.\n`);
    out.write('  Ctrl-C stops JupyterLab and the sandbox.\n\n');
  }

  const code = await exited;
  if (!stopping) {
    process.stderr.write(recent.map(line => `  | ${line}\n`).join(''));
    say(`jupyter lab exited (${code}); stopping the sandbox`);
    await stop(1);
  }
} catch (error) {
  if (!stopping) {
    process.stderr.write(`sm-ssh lab: error: ${error.message}\n`);
  }
  await stop(1);
}

// `sm-ssh job start --no-wait` of a 1-node training job whose own command prints, sleeps 30 s (long enough for the
// panel to show it running) and exits 0, with a wait of JOB_WAIT_SECONDS; the request goes in a file, as a user's
// would. Resolves with the CLI's IStartedJob.
async function startSshJob(smSsh, roleArn) {
  const request = {
    TrainingJobName: JOB_NAME,
    RoleArn: roleArn,
    AlgorithmSpecification: {
      TrainingImage: `763104351884.dkr.ecr.${REGION}.amazonaws.com/pytorch-training:2.1.0-cpu-py310`,
      TrainingInputMode: 'File',
      ContainerEntrypoint: ['/bin/sh', '-c', `echo "${JOB_NAME}: training starts"; sleep 30; echo "${JOB_NAME}: training done"`]
    },
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    OutputDataConfig: { S3OutputPath: `s3://sagemaker-${REGION}-123456789012/${JOB_NAME}/output` },
    StoppingCondition: { MaxRuntimeInSeconds: 2 * JOB_WAIT_SECONDS }
  };
  const file = join(scratch, `${JOB_NAME}.json`);
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
  const started = await smSsh('job', 'start', '--kind', 'training', file, '--wait', String(JOB_WAIT_SECONDS), '--ssh-nodes', '1', '--no-wait', '--json');
  if (started.code !== 0 || !started.json?.target) {
    throw new Error(`sm-ssh job start failed (${started.code}): ${started.stderr.trim() || started.stdout.trim()}`);
  }
  return started.json;
}

function shellWord(word) {
  return /^[\w./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

async function waitFor(url, headers, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.ok) {
        return true;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return false;
}

function portIsFree(port) {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function choosePort(flag) {
  if (flag !== undefined) {
    const port = Number(flag);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      fail(`--port "${flag}" is not a port number`, 'pass a number from 1 to 65535 (0 picks a free one)');
    }
    if (port !== 0) {
      if (!(await portIsFree(port))) {
        fail(`port ${port} is taken`, 'pass another --port, or 0 for a free one');
      }
      return port;
    }
  } else if (await portIsFree(8888)) {
    return 8888;
  }
  return new Promise(resolve => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
