/**
 * The Node path of the remote side without a cloud: the activation's tags as the original project writes them,
 * the role, the SageMaker resource from what SageMaker puts in a container, CreateActivation's request and
 * DeregisterManagedInstance's outcomes (the AWS clients are stubs that record the commands sent).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { UsageError } from '../errors.js';
import { createActivation, deregisterInstance } from './activation.js';
import { activationRole } from './init.js';
import { detectResource } from './resource.js';
import { activationTags, roleNameFromArn } from './tags.js';

const ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:training-job/ssh-training-1';

/** Clients whose SSM `send` records each command's input and answers with `answer`. */
function stubClients(answer: (command: { input: unknown }) => unknown): {
  clients: AwsClients;
  sent: { name: string; input: any }[];
} {
  const sent: { name: string; input: any }[] = [];
  const ssm = {
    send: async (command: {
      input: unknown;
      constructor: { name: string };
    }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer(command);
    }
  };
  return {
    clients: { region: 'us-east-1', ssm: () => ssm } as unknown as AwsClients,
    sent
  };
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name}: no`), { name });
}

describe('activationTags', () => {
  it("writes the original project's five tags, in its order", () => {
    expect(
      activationTags({
        owner: 'AROAEXAMPLEOWNER:alice',
        creator: 'AROAEXAMPLESAGEMAKER:SageMaker',
        timestamp: 1767225600,
        resourceName: 'ssh-training-1',
        resourceArn: ARN
      })
    ).toEqual([
      { Key: 'SSHOwner', Value: 'AROAEXAMPLEOWNER:alice' },
      { Key: 'SSHCreator', Value: 'AROAEXAMPLESAGEMAKER:SageMaker' },
      { Key: 'SSHTimestamp', Value: '1767225600' },
      { Key: 'SSHResourceName', Value: 'ssh-training-1' },
      { Key: 'SSHResourceArn', Value: ARN }
    ]);
  });

  it('leaves the resource tags out when the container does not know its resource (endpoints)', () => {
    expect(
      activationTags({
        owner: 'AIDAEXAMPLE',
        creator: 'AROAX:y',
        timestamp: 1
      }).map(tag => tag.Key)
    ).toEqual(['SSHOwner', 'SSHCreator', 'SSHTimestamp']);
  });

  it('refuses an empty owner, a value SSM would refuse and a timestamp that is not unix seconds', () => {
    const base = { owner: 'AIDAEXAMPLE', creator: 'AROAX:y', timestamp: 1 };
    expect(() => activationTags({ ...base, owner: '' })).toThrow(UsageError);
    expect(() => activationTags({ ...base, owner: '' })).toThrow(
      /SSHOwner tag is empty/
    );
    expect(() => activationTags({ ...base, owner: 'alice"; rm' })).toThrow(
      /cannot be the value of the SSHOwner tag/
    );
    expect(() => activationTags({ ...base, timestamp: 1.5 })).toThrow(
      /not unix seconds/
    );
  });
});

describe('the activation role', () => {
  it('is the role name with its path', () => {
    expect(
      roleNameFromArn(
        'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1'
      )
    ).toBe('service-role/AmazonSageMaker-ExecutionRole-1');
    expect(
      roleNameFromArn(
        'arn:aws-cn:sts::123456789012:assumed-role/SageMakerRole/SageMaker'
      )
    ).toBe('SageMakerRole');
    expect(
      roleNameFromArn('arn:aws:iam::123456789012:user/alice')
    ).toBeUndefined();
  });

  it('comes from SSH_SSM_ROLE (name or ARN), else from the container credentials', () => {
    const caller =
      'arn:aws:sts::123456789012:assumed-role/SageMakerRole/SageMaker';
    expect(activationRole('service-role/R', caller)).toBe('service-role/R');
    expect(
      activationRole('arn:aws:iam::123456789012:role/service-role/R', caller)
    ).toBe('service-role/R');
    expect(activationRole(undefined, caller)).toBe('SageMakerRole');
    let refusal: unknown;
    try {
      activationRole(undefined, 'arn:aws:iam::123456789012:user/alice');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(UsageError);
    expect(refusal).toMatchObject({
      message: expect.stringMatching(/are not a role's/),
      hint: expect.stringMatching(/^set SSH_SSM_ROLE/)
    });
  });
});

describe('detectResource', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sm-ssh-resource-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads what SageMaker puts in notebooks and Studio apps, training jobs and processing jobs', () => {
    expect(detectResource({}, root)).toEqual({
      source: expect.stringMatching(/none found/)
    });
    expect(
      detectResource(
        { TRAINING_JOB_NAME: 'ssh-training-1', TRAINING_JOB_ARN: ARN },
        root
      )
    ).toMatchObject({ name: 'ssh-training-1', arn: ARN });
    mkdirSync(join(root, 'opt/ml/config'), { recursive: true });
    writeFileSync(
      join(root, 'opt/ml/config/processingjobconfig.json'),
      JSON.stringify({
        ProcessingJobName: 'p1',
        ProcessingJobArn:
          'arn:aws:sagemaker:us-east-1:123456789012:processing-job/p1'
      })
    );
    expect(detectResource({}, root)).toMatchObject({ name: 'p1' });
    mkdirSync(join(root, 'opt/ml/metadata'), { recursive: true });
    writeFileSync(
      join(root, 'opt/ml/metadata/resource-metadata.json'),
      JSON.stringify({
        ResourceName: 'nb',
        ResourceArn:
          'arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb'
      })
    );
    expect(detectResource({}, root)).toMatchObject({ name: 'nb' });
    expect(
      detectResource(
        { SSH_RESOURCE_NAME: 'given', SSH_RESOURCE_ARN: ARN },
        root
      )
    ).toMatchObject({ name: 'given', arn: ARN });
  });
});

describe('the SSM calls', () => {
  it('creates an activation for one registration with the tags', async () => {
    const { clients, sent } = stubClients(() => ({
      ActivationId: 'a-1',
      ActivationCode: 'secret'
    }));
    const tags = [{ Key: 'SSHOwner', Value: 'AIDAEXAMPLE' }];
    expect(await createActivation(clients, 'service-role/R', tags)).toEqual({
      activationId: 'a-1',
      activationCode: 'secret'
    });
    expect(sent).toEqual([
      {
        name: 'CreateActivationCommand',
        input: {
          Description:
            'Activation for Amazon SageMaker integration with SSH and IDEs',
          IamRole: 'service-role/R',
          RegistrationLimit: 1,
          Tags: tags
        }
      }
    ]);
  });

  it('reports an AccessDenied deregistration with the permission that would allow it', async () => {
    const { clients } = stubClients(() => {
      throw awsError('AccessDeniedException');
    });
    const result = await deregisterInstance(
      clients,
      'mi-0123456789abcdef0',
      '123456789012'
    );
    expect(result.deregistered).toBe(false);
    expect(result.note).toMatch(
      /may not call ssm:DeregisterManagedInstance, which the setup guide's SSHSageMakerServerPolicy does not grant/
    );
    expect(result.note).toContain(
      'arn:aws:ssm:us-east-1:123456789012:managed-instance/*'
    );
    expect(result.note).not.toContain('\n');
  });

  it('deregisters, and says so when the instance was gone already', async () => {
    const ok = stubClients(() => ({}));
    expect(
      await deregisterInstance(ok.clients, 'mi-0123456789abcdef0')
    ).toEqual({ instanceId: 'mi-0123456789abcdef0', deregistered: true });
    expect(ok.sent[0]).toEqual({
      name: 'DeregisterManagedInstanceCommand',
      input: { InstanceId: 'mi-0123456789abcdef0' }
    });
    const gone = stubClients(() => {
      throw awsError('InvalidInstanceId');
    });
    expect(
      (await deregisterInstance(gone.clients, 'mi-0123456789abcdef0')).note
    ).toMatch(/already deregistered/);
    const other = stubClients(() => {
      throw awsError('InternalServerError');
    });
    await expect(
      deregisterInstance(other.clients, 'mi-0123456789abcdef0')
    ).rejects.toThrow(/deregistering mi-0123456789abcdef0 failed/);
  });
});
