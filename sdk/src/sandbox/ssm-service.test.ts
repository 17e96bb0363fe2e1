/** The sandbox's SSM service settings, driven by the real AWS SDK client over HTTP. */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetServiceSettingCommand,
  ResetServiceSettingCommand,
  SendCommandCommand,
  SSMClient,
  UpdateServiceSettingCommand
} from '@aws-sdk/client-ssm';
import { startJsonServer, type IRunningServer } from './aws-json-server.js';
import { SsmSandboxState, ssmService } from './ssm-service.js';

const TIER = '/ssm/managed-instance/activation-tier';
let server: IRunningServer;

function ssm(region: string): SSMClient {
  return new SSMClient({
    region,
    endpoint: server.url,
    maxAttempts: 1,
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'secret'
    }
  });
}

const state = new SsmSandboxState({ commandStartDelayMs: 300 });

beforeAll(async () => {
  server = await startJsonServer([ssmService(state)]);
});
afterAll(async () => {
  await server.close();
  await state.close();
});

describe('SSM service settings in the sandbox', () => {
  it("starts on the standard tier with AWS's response shape", async () => {
    const { ServiceSetting } = await ssm('us-east-1').send(
      new GetServiceSettingCommand({ SettingId: TIER })
    );
    expect(ServiceSetting).toMatchObject({
      SettingId: TIER,
      SettingValue: 'standard',
      Status: 'Default',
      ARN: 'arn:aws:ssm:us-east-1:123456789012:servicesetting/ssm/managed-instance/activation-tier'
    });
    expect(ServiceSetting?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('keeps the setting per region, accepts the ARN as id, and resets to the default', async () => {
    await ssm('eu-west-1').send(
      new UpdateServiceSettingCommand({
        SettingId: TIER,
        SettingValue: 'advanced'
      })
    );
    const arn =
      'arn:aws:ssm:eu-west-1:123456789012:servicesetting/ssm/managed-instance/activation-tier';
    expect(
      (
        await ssm('eu-west-1').send(
          new GetServiceSettingCommand({ SettingId: arn })
        )
      ).ServiceSetting
    ).toMatchObject({ SettingValue: 'advanced', Status: 'Customized' });
    expect(
      (
        await ssm('us-west-2').send(
          new GetServiceSettingCommand({ SettingId: TIER })
        )
      ).ServiceSetting?.SettingValue
    ).toBe('standard');
    await ssm('eu-west-1').send(
      new ResetServiceSettingCommand({ SettingId: TIER })
    );
    expect(
      (
        await ssm('eu-west-1').send(
          new GetServiceSettingCommand({ SettingId: TIER })
        )
      ).ServiceSetting?.SettingValue
    ).toBe('standard');
  });

  it("answers errors in AWS's shape, which the SDK turns into named exceptions", async () => {
    await expect(
      ssm('us-east-1').send(
        new UpdateServiceSettingCommand({
          SettingId: TIER,
          SettingValue: 'premium'
        })
      )
    ).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 }
    });
    await expect(
      ssm('us-east-1').send(
        new GetServiceSettingCommand({ SettingId: '/ssm/no/such/setting' })
      )
    ).rejects.toMatchObject({ name: 'ServiceSettingNotFound' });
  });

  it('refuses operations it does not implement, and malformed bodies', async () => {
    const post = (target: string, body: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'x-amz-target': target,
          'content-type': 'application/x-amz-json-1.1'
        },
        body
      });
    const unknown = await post('AmazonSSM.DescribeNothing', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'the sandbox does not implement AmazonSSM.DescribeNothing'
    });
    const garbage = await post('AmazonSSM.GetServiceSetting', '{not json');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { __type: string }).__type).toBe(
      'SerializationException'
    );
    const large = await post(
      'AmazonSSM.GetServiceSetting',
      'x'.repeat(2 * 1024 * 1024)
    );
    expect(large.status).toBe(413);
  });
});

describe('SSM fault injection and control-plane-only instances', () => {
  it('refuses the next N calls with ThrottlingException, then serves again', async () => {
    state.faults.throttleNext(2);
    for (let call = 0; call < 2; call += 1) {
      await expect(
        ssm('us-east-1').send(new GetServiceSettingCommand({ SettingId: TIER }))
      ).rejects.toMatchObject({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 }
      });
    }
    expect(state.faults.pendingThrottles).toBe(0);
    await expect(
      ssm('us-east-1').send(new GetServiceSettingCommand({ SettingId: TIER }))
    ).resolves.toBeDefined();
  });

  it('lists hostless instances and runs their commands asynchronously: Pending first, then an outcome', async () => {
    const instance = await state.instances.launch({
      name: 'no-host',
      tags: { SSHOwner: 'alice' },
      host: false
    });
    const listed = await ssm('us-east-1').send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'tag:SSHOwner', Values: ['alice'] }]
      })
    );
    expect(
      listed.InstanceInformationList?.map(item => item.InstanceId)
    ).toEqual([instance.instanceId]);
    const { Command } = await ssm('us-east-1').send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instance.instanceId],
        Parameters: { commands: ['true'] }
      })
    );
    expect(Command?.Status).toBe('Pending');
    const get = () =>
      ssm('us-east-1').send(
        new GetCommandInvocationCommand({
          CommandId: Command?.CommandId,
          InstanceId: instance.instanceId
        })
      );
    expect(await get()).toMatchObject({ Status: 'Pending', ResponseCode: -1 });
    await new Promise(resolve => setTimeout(resolve, 600));
    expect(await get()).toMatchObject({
      Status: 'Failed',
      StandardErrorContent: expect.stringContaining('no host')
    });
  });
});
