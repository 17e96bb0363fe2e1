import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CDK_CLI_USAGE,
  isMissingCdkError,
  runCdkCli,
  type ICdkCliIo
} from './cli.js';

const SAGEMAKER_ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
const USER_ROLE = 'arn:aws:iam::123456789012:role/DataScientist';

function io(
  overrides: Partial<ICdkCliIo> = {}
): ICdkCliIo & { err: string[]; out: string[] } {
  const err: string[] = [];
  const out: string[] = [];
  return {
    err,
    out,
    stderr: line => err.push(line),
    stdout: line => out.push(line),
    ...overrides
  };
}

function moduleNotFound(name: string): Error {
  const error = new Error(
    `Cannot find package '${name}' imported from /x/node_modules/sagemaker-ssh/dist/cdk/stacks.js`
  );
  (error as Error & { code: string }).code = 'ERR_MODULE_NOT_FOUND';
  return error;
}

describe('sm-ssh-cdk', () => {
  it.each([[[]], [['deploy']], [['iam', 'extra']]])(
    'answers %j with one usage line and exit 2',
    async args => {
      const cli = io();
      expect(await runCdkCli(args, cli)).toBe(2);
      expect(cli.err).toHaveLength(1);
      expect(cli.err[0]).toContain(CDK_CLI_USAGE);
      expect(cli.err[0]).not.toContain('\n');
    }
  );

  it('prints the usage on --help', async () => {
    const cli = io();
    expect(await runCdkCli(['--help'], cli)).toBe(0);
    expect(cli.out).toEqual([CDK_CLI_USAGE]);
  });

  it.each(['aws-cdk-lib', 'constructs'])(
    'says how to install a missing %s, in one line, exit 2',
    async name => {
      const cli = io({ loadApp: () => Promise.reject(moduleNotFound(name)) });
      expect(await runCdkCli(['iam'], cli)).toBe(2);
      expect(cli.err).toEqual([
        'sm-ssh-cdk: aws-cdk-lib is not installed; run: npm install aws-cdk-lib constructs'
      ]);
    }
  );

  it('does not hide other load errors', async () => {
    expect(isMissingCdkError(moduleNotFound('left-pad'))).toBe(false);
    await expect(
      runCdkCli(
        ['tier'],
        io({ loadApp: () => Promise.reject(new SyntaxError('boom')) })
      )
    ).rejects.toThrow('boom');
  });

  describe('with the environment the CDK CLI sets', () => {
    let outdir: string;
    const keys = ['CDK_OUTDIR', 'CDK_VALIDATION', 'CDK_CONTEXT_JSON'] as const;
    const saved = Object.fromEntries(keys.map(key => [key, process.env[key]]));
    beforeEach(() => {
      outdir = mkdtempSync(join(tmpdir(), 'sm-ssh-cdk-'));
      process.env.CDK_OUTDIR = outdir;
      process.env.CDK_VALIDATION = 'false';
    });
    afterEach(() => {
      for (const key of keys) {
        if (saved[key] === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = saved[key];
        }
      }
      rmSync(outdir, { recursive: true, force: true });
    });

    it('synthesizes SSH-IAM-SSM-Stack from CDK_CONTEXT_JSON', async () => {
      process.env.CDK_CONTEXT_JSON = JSON.stringify({
        sagemaker_role: SAGEMAKER_ROLE,
        user_role: USER_ROLE
      });
      const cli = io();
      expect(await runCdkCli(['iam'], cli)).toBe(0);
      expect(cli.err).toEqual([]);
      const template = JSON.parse(
        readFileSync(join(outdir, 'SSH-IAM-SSM-Stack.template.json'), 'utf8')
      );
      expect(
        Object.values(template.Resources).map(r => (r as { Type: string }).Type)
      ).toContain('AWS::IAM::Policy');
    });

    it('synthesizes SSM-Advanced-Tier-Stack', async () => {
      const cli = io();
      expect(await runCdkCli(['tier'], cli)).toBe(0);
      expect(
        existsSync(join(outdir, 'SSM-Advanced-Tier-Stack.template.json'))
      ).toBe(true);
    });

    it('reports a missing role ARN with the -c option to pass, exit 2', async () => {
      process.env.CDK_CONTEXT_JSON = JSON.stringify({ user_role: USER_ROLE });
      const cli = io();
      expect(await runCdkCli(['iam'], cli)).toBe(2);
      expect(cli.err[0]).toBe(
        'sm-ssh-cdk: missing -c sagemaker_role=<role ARN>'
      );
      expect(existsSync(join(outdir, 'SSH-IAM-SSM-Stack.template.json'))).toBe(
        false
      );
    });
  });
});
