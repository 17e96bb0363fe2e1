/**
 * The sandbox counts every AWS call a client makes to it, driven by the real SDK clients: the JSON services it
 * answers, what it relays to moto (SageMaker, Logs, and STS/IAM in the query protocol), failed calls; the counts'
 * HTTP face; and resolution's calls, which do not grow with the managed instances in the account.
 */
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient
} from '@aws-sdk/client-iam';
import {
  ListNotebookInstancesCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import {
  DescribeInstanceInformationCommand,
  ListTagsForResourceCommand,
  SSMClient
} from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../aws/index.js';
import { resolveTarget } from '../resolve/index.js';
import { findMotoServer } from './daemon.js';
import { SANDBOX_CREDENTIALS, startSandbox, type ISandbox } from './sandbox.js';

const credentials = {
  accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
};
const config = (endpoint: string) => ({
  region: 'us-east-1',
  endpoint,
  credentials,
  maxAttempts: 1
});
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'sagemaker.amazonaws.com' },
      Action: 'sts:AssumeRole'
    }
  ]
});

let sandbox: ISandbox;
const saved = { ...process.env };

beforeAll(async () => {
  sandbox = await startSandbox({ motoServer: findMotoServer() });
});

afterAll(async () => {
  process.env = saved;
  await sandbox?.close();
});

beforeEach(() => sandbox.calls.reset());

describe('call counting', () => {
  it('points STS and IAM at the sandbox, which relays them to moto and counts them by Action', async () => {
    expect(sandbox.env.AWS_ENDPOINT_URL_STS).toBe(sandbox.url);
    expect(sandbox.env.AWS_ENDPOINT_URL_IAM).toBe(sandbox.url);
    const sts = new STSClient(config(sandbox.env.AWS_ENDPOINT_URL_STS));
    const iam = new IAMClient(config(sandbox.env.AWS_ENDPOINT_URL_IAM));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('123456789012');
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'counted-role',
        AssumeRolePolicyDocument: TRUST
      })
    );
    const { Role } = await iam.send(
      new GetRoleCommand({ RoleName: 'counted-role' })
    );
    expect(Role?.Arn).toBe('arn:aws:iam::123456789012:role/counted-role');
    // moto's error comes back as it was, and the failed call counts too
    await expect(
      iam.send(new GetRoleCommand({ RoleName: 'no-such-role' }))
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    expect(sandbox.calls.snapshot()).toEqual({
      'IAM.CreateRole': 1,
      'IAM.GetRole': 2,
      'STS.GetCallerIdentity': 1
    });
    expect(sandbox.calls.total).toBe(4);
    sts.destroy();
    iam.destroy();
  });

  it('counts the JSON services: answered by the sandbox, relayed to moto, failed', async () => {
    const ssm = new SSMClient(config(sandbox.env.AWS_ENDPOINT_URL_SSM));
    const sagemaker = new SageMakerClient(
      config(sandbox.env.AWS_ENDPOINT_URL_SAGEMAKER)
    );
    const logs = new CloudWatchLogsClient(
      config(sandbox.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)
    );
    await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    await expect(
      ssm.send(
        new ListTagsForResourceCommand({
          ResourceType: 'ManagedInstance',
          ResourceId: 'mi-00000000000000000'
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidResourceId' });
    await sagemaker.send(new ListNotebookInstancesCommand({}));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/counted' }));
    expect(sandbox.calls.snapshot()).toEqual({
      'CloudWatchLogs.CreateLogGroup': 1,
      'SSM.DescribeInstanceInformation': 1,
      'SSM.ListTagsForResource': 1,
      'SageMaker.ListNotebookInstances': 1
    });
    ssm.destroy();
    sagemaker.destroy();
    logs.destroy();
  });

  it('serves the counts at /_sandbox/calls, resets them with DELETE, and GET / still lists the services', async () => {
    const sts = new STSClient(config(sandbox.url));
    await sts.send(new GetCallerIdentityCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    const read = await fetch(`${sandbox.url}/_sandbox/calls`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({
      total: 2,
      calls: { 'STS.GetCallerIdentity': 2 }
    });
    const cleared = await fetch(`${sandbox.url}/_sandbox/calls`, {
      method: 'DELETE'
    });
    expect(await cleared.json()).toEqual({
      total: 2,
      calls: { 'STS.GetCallerIdentity': 2 }
    });
    expect(sandbox.calls.total).toBe(0);
    const root = (await (await fetch(`${sandbox.url}/`)).json()) as Record<
      string,
      unknown
    >;
    expect(root).toMatchObject({
      sandbox: 'sm-ssh',
      services: [
        'AmazonSSM',
        'SageMaker',
        'Logs_20140328',
        'EC2WindowsMessageDeliveryService'
      ]
    });
    const post = await fetch(`${sandbox.url}/_sandbox/calls`, {
      method: 'POST'
    });
    expect(post.status).toBe(405);
    // reading the counts is not an AWS call
    expect(sandbox.calls.total).toBe(0);
  });

  it('refuses STS in the query protocol without moto, in its XML error shape, and counts the call', async () => {
    const bare = await startSandbox();
    try {
      expect(bare.env.AWS_ENDPOINT_URL_STS).toBeUndefined();
      const sts = new STSClient(config(bare.url));
      await expect(
        sts.send(new GetCallerIdentityCommand({}))
      ).rejects.toMatchObject({
        name: 'UnknownOperationException',
        message: expect.stringMatching(/only through moto/)
      });
      sts.destroy();
      expect(bare.calls.snapshot()).toEqual({ 'STS.GetCallerIdentity': 1 });
    } finally {
      await bare.close();
    }
  });

  it('resolution costs the same calls with 1,000 other managed instances as with none', async () => {
    Object.assign(process.env, sandbox.env, { AWS_MAX_ATTEMPTS: '1' });
    const clients = new AwsClients('us-east-1', async () => credentials);
    const registry = sandbox.ssm.instances;
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:training-job/counted';
    for (const timestamp of [1700000000, 1700000100]) {
      await registry.launch({
        host: false,
        tags: {
          SSHResourceName: 'counted',
          SSHResourceArn: arn,
          SSHTimestamp: String(timestamp)
        }
      });
    }
    const resolveCounted = async () => {
      sandbox.calls.reset();
      const resolved = await resolveTarget(
        clients,
        'counted.training.sagemaker',
        { node: 2, timeoutMs: 0 }
      );
      expect(resolved.instance.timestamp).toBe(1700000000);
      return sandbox.calls.snapshot();
    };
    const alone = await resolveCounted();
    expect(alone).toEqual({
      'SSM.DescribeInstanceInformation': 1,
      'SSM.ListTagsForResource': 2,
      'STS.GetCallerIdentity': 1
    });
    for (let i = 0; i < 1000; i++) {
      await registry.launch({
        host: false,
        tags: {
          SSHResourceName: `other-${i}`,
          SSHResourceArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/other-${i}`
        }
      });
    }
    expect(await resolveCounted()).toEqual(alone);
  });
});
