/** The sandbox's SSM service settings, driven by the real AWS SDK client over HTTP. */
import {
  GetServiceSettingCommand,
  ResetServiceSettingCommand,
  SSMClient,
  UpdateServiceSettingCommand
} from '@aws-sdk/client-ssm';
import { startJsonServer, type IRunningServer } from './aws-json-server.js';
import { ssmService } from './ssm-service.js';

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

beforeAll(async () => {
  server = await startJsonServer([ssmService()]);
});
afterAll(() => server.close());

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
