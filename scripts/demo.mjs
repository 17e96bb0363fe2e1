// The demo of `npm run demo`: the product on the embedded local sandbox, no AWS account needed.
// moto serves IAM and STS, the sm-ssh sandbox serves SSM; the CLI reaches them only through
// AWS_ENDPOINT_URL_<SERVICE> and fake credentials, exactly as it would reach AWS.
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDemoFleet, SANDBOX_CREDENTIALS, sandboxCaller, sandboxEnv, startSandbox } from '../sdk/dist/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}sdk/dist/cli/main.js`;
const bold = text => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const sandbox = await startSandbox({ motoServer: `${root}.venv/bin/moto_server` });
// the demo's key, pins and ssh config live in a scratch HOME, never in the user's own
const home = mkdtempSync(join(tmpdir(), 'sm-ssh-demo-'));
const env = { PATH: process.env.PATH, HOME: home, ...sandboxEnv(sandbox), AWS_MAX_ATTEMPTS: '1' };

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

// Asynchronous on purpose: the sandbox answers from this process's event loop.
async function run(command, args, shown) {
  console.log(bold(`$ ${shown}`));
  const child = spawn(command, args, { env, stdio: 'inherit' });
  const code = await new Promise(resolve => child.once('close', resolve));
  console.log(`(exit code ${code})`);
  return code;
}

async function smSsh(...args) {
  console.log(bold(`$ sm-ssh ${args.join(' ')}`));
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'inherit' });
  const code = await new Promise(resolve => child.once('close', resolve));
  console.log(`(exit code ${code})`);
  return code;
}

let failed = false;
try {
  step(`Local cloud: moto (IAM, STS) on ${sandbox.moto.url}, sm-ssh sandbox (SSM) on ${sandbox.url}`);
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.moto.url, credentials: { accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY } });
  const trust = service => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: service, Action: 'sts:AssumeRole' }] });
  const sagemakerRole = (await iam.send(new CreateRoleCommand({ RoleName: 'AmazonSageMaker-ExecutionRole-Demo', Path: '/service-role/', AssumeRolePolicyDocument: trust({ Service: 'sagemaker.amazonaws.com' }) }))).Role.Arn;
  const userRole = (await iam.send(new CreateRoleCommand({ RoleName: 'DataScientist', AssumeRolePolicyDocument: trust({ AWS: 'arn:aws:iam::123456789012:root' }) }))).Role.Arn;
  console.log(`created ${sagemakerRole}\ncreated ${userRole}`);
  const roles = ['--sagemaker-role', sagemakerRole, '--user-role', userRole, '--regions', 'us-east-1,eu-west-1'];

  step('1. The setup check on a fresh account fails and says what to add');
  failed ||= (await smSsh('setup', 'check', ...roles)) !== 1;
  step('2. apply --dry-run shows what would change');
  failed ||= (await smSsh('setup', 'apply', ...roles, '--dry-run')) !== 0;
  step('3. apply makes the account pass');
  failed ||= (await smSsh('setup', 'apply', ...roles)) !== 0;
  step('4. The check passes');
  failed ||= (await smSsh('setup', 'check', ...roles)) !== 0;
  step('5. A second apply changes nothing');
  failed ||= (await smSsh('setup', 'apply', ...roles)) !== 0;

  const owner = await sandboxCaller(sandbox);
  const fleet = await createDemoFleet(sandbox.ssm.instances, { owner, cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker } });
  step(`6. The demo fleet (real sshd hosts; SSHOwner ${owner} = you, except bob's job): the targets`);
  failed ||= (await smSsh('list')) !== 0;
  step('7. A command by name: resolve, deliver the key over Run Command, pin the host keys, SSH over the data channel');
  failed ||= (await smSsh('exec', 'ssh-training-demo.training.sagemaker', '--verbose', '--', 'hostname')) !== 0;
  step('8. Node 2 of the two-node job, and the endpoint found through its logs');
  failed ||= (await smSsh('exec', 'ssh-training-demo.training.sagemaker', '--node', '2', '--', 'hostname')) !== 0;
  failed ||= (await smSsh('exec', 'ssh-endpoint-demo.inference.sagemaker', '--', 'hostname')) !== 0;
  step("9. Another user's job is refused before any session");
  failed ||= (await smSsh('exec', 'bob-training-job.training.sagemaker', '--', 'hostname')) !== 1;
  step('10. cp of 16 MiB in 2 parallel sessions, checked on the other side');
  const file = join(home, 'weights.bin');
  writeFileSync(file, Buffer.alloc(16 * 1024 * 1024, 7));
  failed ||= (await smSsh('cp', '--parallel', '2', file, 'ssh-training-demo.training.sagemaker:/tmp/')) !== 0;
  failed ||= (await smSsh('exec', 'ssh-training-demo.training.sagemaker', '--', 'sha256sum /tmp/weights.bin')) !== 0;
  step('11. OpenSSH by name after ssh-config --write (pinned known_hosts, StrictHostKeyChecking yes)');
  const config = join(home, '.ssh', 'config');
  failed ||= (await smSsh('ssh-config', '--write')) !== 0;
  failed ||= (await run('ssh', ['-F', config, '-o', 'BatchMode=yes', 'ssh-training-demo.training.sagemaker', 'uname -n'], 'ssh ssh-training-demo.training.sagemaker uname -n')) !== 0;

  const [spaceOn, spaceOff] = ['ENABLED', 'DISABLED'].map(state => fleet.spaces.find(space => space.remoteAccess === state).target);
  step('12. Studio spaces through SageMaker remote access (sagemaker:StartSession; no SSM agent, no key delivered)');
  failed ||= (await smSsh('list', '--kind', 'space')) !== 0;
  failed ||= (await smSsh('exec', spaceOn, '--verbose', '--', 'echo "$(hostname) $USER $HOME"')) !== 0;
  step('13. A space with remote access off is refused with the fix, then enabled (its app restarts)');
  failed ||= (await smSsh('exec', spaceOff, '--', 'hostname')) !== 1;
  failed ||= (await smSsh('space', 'enable-remote-access', spaceOff, '--yes')) !== 0;
  failed ||= (await smSsh('exec', spaceOff, '--', 'hostname')) !== 0;
  step('14. OpenSSH and scp by space name (the Host *.space.sagemaker block of ssh-config)');
  failed ||= (await run('ssh', ['-F', config, '-o', 'BatchMode=yes', spaceOn, 'uname -n'], `ssh ${spaceOn} uname -n`)) !== 0;
  failed ||= (await run('scp', ['-F', config, '-o', 'BatchMode=yes', file, `${spaceOn}:`], `scp weights.bin ${spaceOn}:`)) !== 0;
  failed ||= (await smSsh('exec', spaceOn, '--', 'sha256sum weights.bin')) !== 0;
} finally {
  await sandbox.close();
  rmSync(home, { recursive: true, force: true });
}
console.log(failed ? '\nDEMO FAILED: an exit code was not the expected one' : '\nDemo complete: check failed, apply fixed it, check passed, a second apply was a no-op; targets listed, reached by name (node 2, the endpoint), the other user refused, a copy checked, OpenSSH by name; a space reached through remote access, the other refused, enabled, then reached; OpenSSH and scp by space name.');
process.exitCode = failed ? 1 : 0;
