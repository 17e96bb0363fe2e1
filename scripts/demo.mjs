// The demo of `npm run demo`: the product on the embedded local sandbox, no AWS account needed.
// moto serves IAM and STS, the sm-ssh sandbox serves SSM; the CLI reaches them only through
// AWS_ENDPOINT_URL_<SERVICE> and fake credentials, exactly as it would reach AWS.
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SANDBOX_CREDENTIALS, sandboxEnv, startSandbox } from '../sdk/dist/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}sdk/dist/cli/main.js`;
const bold = text => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const sandbox = await startSandbox({ motoServer: `${root}.venv/bin/moto_server` });
const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...sandboxEnv(sandbox), AWS_MAX_ATTEMPTS: '1' };

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

// Asynchronous on purpose: the sandbox answers from this process's event loop.
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
} finally {
  await sandbox.close();
}
console.log(failed ? '\nDEMO FAILED: an exit code was not the expected one' : '\nDemo complete: check failed, apply fixed it, check passed, a second apply was a no-op.');
process.exitCode = failed ? 1 : 0;
