/**
 * The real CDK CLI runs the built `sm-ssh-cdk` app offline, as the README tells users to:
 * `cdk -a "npx sm-ssh-cdk iam" synth -c sagemaker_role=… -c user_role=…`. Needs `npm run build -w sdk` first.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(SDK_DIR, 'dist', 'cdk', 'main.js');
const CDK_CLI = join(
  dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json')),
  'bin',
  'cdk'
);
const SAGEMAKER_ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
const USER_ROLE = 'arn:aws:iam::123456789012:role/DataScientist';

/** The environment without any AWS credentials or profile, and no way to reach IMDS. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_)/.test(key)) {
      env[key] = value;
    }
  }
  return {
    ...env,
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CI: 'true'
  };
}

function cdk(
  app: string,
  args: string[],
  outdir: string
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [
      CDK_CLI,
      'synth',
      '-a',
      app,
      ...args,
      '--no-notices',
      '--no-version-reporting',
      '--no-lookups',
      '-o',
      outdir
    ],
    { cwd: SDK_DIR, env: offlineEnv(), encoding: 'utf8', timeout: 110000 }
  );
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr
  };
}

function resolvable(name: string, from: string): boolean {
  try {
    createRequire(join(from, 'index.js')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

describe('cdk synth -a "sm-ssh-cdk …" (real CDK CLI, offline, no credentials)', () => {
  let outdir: string;
  beforeAll(() => {
    if (!existsSync(MAIN)) {
      throw new Error(
        `${MAIN} is missing: run \`npm run build -w sdk\` (or \`cd sdk && npm run build\`) before the integration tests`
      );
    }
  });
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'sm-ssh-cdk-synth-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes SSH-IAM-SSM-Stack with both inline policies', () => {
    const result = cdk(
      `node ${MAIN} iam`,
      [
        '-c',
        `sagemaker_role=${SAGEMAKER_ROLE}`,
        '-c',
        `user_role=${USER_ROLE}`
      ],
      outdir
    );
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 0,
      stderr: expect.any(String)
    });
    const template = JSON.parse(
      readFileSync(join(outdir, 'SSH-IAM-SSM-Stack.template.json'), 'utf8')
    );
    const policies = Object.values(
      template.Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >
    )
      .filter(resource => resource.Type === 'AWS::IAM::Policy')
      .map(resource => [
        resource.Properties.PolicyName,
        resource.Properties.Roles
      ]);
    expect(policies.sort()).toEqual([
      ['SSHSageMakerClientPolicy', ['DataScientist']],
      [
        'SSHSageMakerServerPolicy',
        ['AmazonSageMaker-ExecutionRole-20240101T000000']
      ]
    ]);
    expect(
      Object.values(template.Resources).map(
        resource => (resource as { Type: string }).Type
      )
    ).toContain('Custom::SageMakerSsmTrust');
  });

  it('synthesizes SSM-Advanced-Tier-Stack', () => {
    const result = cdk(`node ${MAIN} tier`, [], outdir);
    expect(result.status).toBe(0);
    const template = readFileSync(
      join(outdir, 'SSM-Advanced-Tier-Stack.template.json'),
      'utf8'
    );
    expect(template).toContain('Custom::SsmActivationTier');
    expect(template).toContain('ssm:UpdateServiceSetting');
  });

  it('fails with the -c option to pass when a role is missing', () => {
    const result = cdk(
      `node ${MAIN} iam`,
      ['-c', `user_role=${USER_ROLE}`],
      outdir
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'sm-ssh-cdk: missing -c sagemaker_role=<role ARN>'
    );
  });

  it('tells how to install aws-cdk-lib where it is not installed', () => {
    // A copy of the build outside any node_modules that holds aws-cdk-lib.
    const copy = mkdtempSync(join(tmpdir(), 'sm-ssh-cdk-nocdk-'));
    try {
      cpSync(join(SDK_DIR, 'dist'), join(copy, 'dist'), { recursive: true });
      writeFileSync(
        join(copy, 'package.json'),
        JSON.stringify({ type: 'module' })
      );
      if (resolvable('aws-cdk-lib', copy)) {
        console.warn(`skipped: aws-cdk-lib is resolvable from ${copy}`);
        return;
      }
      const result = spawnSync(
        process.execPath,
        [join(copy, 'dist', 'cdk', 'main.js'), 'iam'],
        { cwd: copy, encoding: 'utf8', env: offlineEnv() }
      );
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 2,
        stderr:
          'sm-ssh-cdk: aws-cdk-lib is not installed; run: npm install aws-cdk-lib constructs\n'
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
