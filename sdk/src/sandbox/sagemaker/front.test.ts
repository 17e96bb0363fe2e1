/** The SageMaker front's state machines on a clock the test moves, through its JSON 1.1 operations. */
import {
  AwsServiceError,
  FORWARD,
  type ICallContext
} from '../aws-json-server.js';
import { SageMakerFront } from './front.js';

const CALL: ICallContext = { account: '123456789012', region: 'us-east-1' };
let now: number;
let front: SageMakerFront;

async function call(
  operation: string,
  input: Record<string, unknown>,
  context = CALL
): Promise<Record<string, unknown>> {
  return (await front
    .service()
    .operations[operation](input, context)) as Record<string, unknown>;
}

async function error(
  operation: string,
  input: Record<string, unknown>
): Promise<AwsServiceError> {
  try {
    await call(operation, input);
  } catch (thrown) {
    return thrown as AwsServiceError;
  }
  throw new Error(`${operation} succeeded`);
}

const TRAINING = {
  TrainingJobName: 'train',
  AlgorithmSpecification: { TrainingImage: 'image', TrainingInputMode: 'File' },
  RoleArn: 'arn:aws:iam::123456789012:role/r',
  OutputDataConfig: { S3OutputPath: 's3://bucket/out/' },
  ResourceConfig: {
    InstanceType: 'ml.m5.xlarge',
    InstanceCount: 2,
    VolumeSizeInGB: 30
  },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 }
};

beforeEach(() => {
  now = Date.UTC(2026, 10, 25, 9, 0, 0);
  front = new SageMakerFront({
    now: () => now,
    stopMs: 30_000,
    readyMs: 60_000,
    deleteMs: 10_000
  });
});

describe('SageMaker front', () => {
  it('runs a training job through its phases to Completed, with times and model artifacts', async () => {
    await call('CreateTrainingJob', TRAINING);
    now += 60_000;
    front.jobs.advance('training', 'train');
    now += 3600_000;
    front.jobs.finish('training', 'train', 'Completed');
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'train' });
    expect(job).toMatchObject({
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      CreationTime: Date.UTC(2026, 10, 25, 9, 0, 0) / 1000,
      TrainingStartTime: Date.UTC(2026, 10, 25, 9, 1, 0) / 1000,
      TrainingEndTime: Date.UTC(2026, 10, 25, 10, 1, 0) / 1000,
      TrainingTimeInSeconds: 3600,
      ModelArtifacts: {
        S3ModelArtifacts: 's3://bucket/out/train/output/model.tar.gz'
      }
    });
    expect(
      (job.SecondaryStatusTransitions as { Status: string }[]).map(
        transition => transition.Status
      )
    ).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed'
    ]);
    expect(() => front.jobs.finish('training', 'train', 'Failed')).toThrow(
      /already ended/
    );
  });

  it('stops after the stop time, or at once when settled', async () => {
    await call('CreateTrainingJob', TRAINING);
    await call('StopTrainingJob', { TrainingJobName: 'train' });
    await call('StopTrainingJob', { TrainingJobName: 'train' });
    now += 29_999;
    expect(
      (await call('DescribeTrainingJob', { TrainingJobName: 'train' }))
        .TrainingJobStatus
    ).toBe('Stopping');
    now += 1;
    const stopped = await call('DescribeTrainingJob', {
      TrainingJobName: 'train'
    });
    expect(stopped.TrainingJobStatus).toBe('Stopped');
    expect(stopped.TrainingEndTime).toBe(
      Date.UTC(2026, 10, 25, 9, 0, 30) / 1000
    );

    await call('CreateProcessingJob', {
      ProcessingJobName: 'process',
      AppSpecification: { ImageUri: 'image' },
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      ProcessingResources: { ClusterConfig: { InstanceCount: 1 } }
    });
    await call('StopProcessingJob', { ProcessingJobName: 'process' });
    front.settleAll();
    expect(
      (await call('DescribeProcessingJob', { ProcessingJobName: 'process' }))
        .ProcessingJobStatus
    ).toBe('Stopped');
  });

  it('keeps jobs per region', async () => {
    await call('CreateTrainingJob', TRAINING);
    const elsewhere = { ...CALL, region: 'eu-west-1' };
    await expect(
      call('DescribeTrainingJob', { TrainingJobName: 'train' }, elsewhere)
    ).rejects.toMatchObject({ code: 'ValidationException' });
    await call('CreateTrainingJob', TRAINING, elsewhere);
    expect(
      (await call('ListTrainingJobs', {}, elsewhere)).TrainingJobSummaries
    ).toEqual([
      expect.objectContaining({
        TrainingJobArn:
          'arn:aws:sagemaker:eu-west-1:123456789012:training-job/train'
      })
    ]);
  });

  it('validates what a create needs', async () => {
    const missing = await error('CreateTrainingJob', {
      ...TRAINING,
      ResourceConfig: undefined
    });
    expect(missing.message).toBe(
      "1 validation error detected: Value null at 'resourceConfig' failed to satisfy constraint: Member must not be null"
    );
    expect(
      (
        await error('CreateTrainingJob', {
          ...TRAINING,
          Tags: [{ Value: 'x' }]
        })
      ).code
    ).toBe('ValidationException');
  });

  it('hands tags of other resources to moto, and answers its own', async () => {
    expect(
      await call('ListTags', {
        ResourceArn:
          'arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb'
      })
    ).toBe(FORWARD);
    expect(await call('DeleteDomain', { DomainId: 'd-empty' })).toBe(FORWARD);
    await call('CreateTrainingJob', {
      ...TRAINING,
      Tags: [{ Key: 'a', Value: '1' }]
    });
    expect(
      await call('AddTags', {
        ResourceArn:
          'arn:aws:sagemaker:us-east-1:123456789012:training-job/train',
        Tags: [{ Key: 'b', Value: '2' }]
      })
    ).toEqual({
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' }
      ]
    });
  });

  it('brings Studio apps up after the ready time and keeps deleted apps listed', async () => {
    await call('CreateUserProfile', {
      DomainId: 'd-demo',
      UserProfileName: 'alice'
    });
    const app = {
      DomainId: 'd-demo',
      UserProfileName: 'alice',
      AppType: 'JupyterServer',
      AppName: 'default'
    };
    expect(
      (await error('CreateApp', { ...app, UserProfileName: 'nobody' })).code
    ).toBe('ResourceNotFound');
    await call('CreateApp', app);
    expect((await call('DescribeApp', app)).Status).toBe('Pending');
    now += 60_000;
    expect(await call('DescribeApp', app)).toMatchObject({
      Status: 'InService',
      ResourceSpec: { InstanceType: 'system' },
      LastHealthCheckTimestamp: now / 1000
    });
    expect((await error('CreateApp', app)).code).toBe('ResourceInUse');
    await call('DeleteApp', app);
    now += 10_000;
    expect((await call('ListApps', {})).Apps).toEqual([
      expect.objectContaining({ AppName: 'default', Status: 'Deleted' })
    ]);
    await call('CreateApp', app);
    expect((await call('DescribeApp', app)).Status).toBe('Pending');
  });
});
