/**
 * The sandbox's SageMaker front with the real `@aws-sdk/client-sagemaker` over HTTP and real moto behind it:
 * what moto serves well is relayed unchanged; jobs stay InProgress until stopped or ended by the sandbox's
 * control; Studio user profiles, spaces and apps exist; errors have SageMaker's shapes.
 */
import {
  AddTagsCommand,
  CreateAppCommand,
  CreateDomainCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateNotebookInstanceCommand,
  CreateProcessingJobCommand,
  CreateSpaceCommand,
  CreateTrainingJobCommand,
  CreateTransformJobCommand,
  CreateUserProfileCommand,
  DeleteAppCommand,
  DeleteDomainCommand,
  DeleteTagsCommand,
  DeleteUserProfileCommand,
  DescribeAppCommand,
  DescribeEndpointCommand,
  DescribeNotebookInstanceCommand,
  DescribeProcessingJobCommand,
  DescribeSpaceCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  DescribeUserProfileCommand,
  ListAppsCommand,
  ListProcessingJobsCommand,
  ListSpacesCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  ListTransformJobsCommand,
  ListUserProfilesCommand,
  ResourceInUse,
  ResourceNotFound,
  SageMakerClient,
  StopNotebookInstanceCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  type CreateTrainingJobCommandInput
} from '@aws-sdk/client-sagemaker';
import { startSandbox, type ISandbox } from '../src/sandbox/index.js';
import { MOTO_SERVER } from './harness/cloud.js';

const ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-test';
const SETTLE_MS = 150;
let sandbox: ISandbox;
let client: SageMakerClient;

function sageMaker(endpoint: string): SageMakerClient {
  return new SageMakerClient({
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
}

function trainingJob(
  name: string,
  instances = 1
): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: {
      TrainingImage:
        '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310',
      TrainingInputMode: 'File'
    },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://bucket/output' },
    ResourceConfig: {
      InstanceType: 'ml.m5.xlarge',
      InstanceCount: instances,
      VolumeSizeInGB: 30
    },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 }
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the call succeeded');
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

beforeAll(async () => {
  sandbox = await startSandbox({
    motoServer: MOTO_SERVER,
    sagemaker: { stopMs: SETTLE_MS, readyMs: SETTLE_MS, deleteMs: SETTLE_MS }
  });
  client = sageMaker(sandbox.env.AWS_ENDPOINT_URL_SAGEMAKER);
});

afterAll(async () => {
  client?.destroy();
  await sandbox?.close();
});

describe('routing', () => {
  it('points SageMaker, CloudWatch Logs and IAM/STS (relayed to moto, counted) at the sandbox, S3 at moto', () => {
    const moto = sandbox.moto?.url as string;
    expect(sandbox.env).toMatchObject({
      AWS_ENDPOINT_URL_SAGEMAKER: sandbox.url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: sandbox.url,
      AWS_ENDPOINT_URL_SSM: sandbox.url,
      AWS_ENDPOINT_URL_IAM: sandbox.url,
      AWS_ENDPOINT_URL_STS: sandbox.url,
      AWS_ENDPOINT_URL_S3: moto
    });
  });

  it('relays what moto serves, unchanged: a notebook instance created through the sandbox is moto’s', async () => {
    const { NotebookInstanceArn } = await client.send(
      new CreateNotebookInstanceCommand({
        NotebookInstanceName: 'relay-notebook',
        InstanceType: 'ml.t3.medium',
        RoleArn: ROLE,
        Tags: [{ Key: 'team', Value: 'ml' }]
      })
    );
    const direct = sageMaker(sandbox.moto?.url as string);
    const viaSandbox = await client.send(
      new DescribeNotebookInstanceCommand({
        NotebookInstanceName: 'relay-notebook'
      })
    );
    const fromMoto = await direct.send(
      new DescribeNotebookInstanceCommand({
        NotebookInstanceName: 'relay-notebook'
      })
    );
    direct.destroy();
    expect(viaSandbox.NotebookInstanceStatus).toBe('InService');
    expect({ ...viaSandbox, $metadata: undefined }).toEqual({
      ...fromMoto,
      $metadata: undefined
    });
    expect(
      (
        await client.send(
          new ListTagsCommand({ ResourceArn: NotebookInstanceArn })
        )
      ).Tags
    ).toEqual([{ Key: 'team', Value: 'ml' }]);
    await client.send(
      new StopNotebookInstanceCommand({
        NotebookInstanceName: 'relay-notebook'
      })
    );
    expect(
      (
        await client.send(
          new DescribeNotebookInstanceCommand({
            NotebookInstanceName: 'relay-notebook'
          })
        )
      ).NotebookInstanceStatus
    ).toBe('Stopped');
    const missing = await rejection(
      client.send(
        new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'absent' })
      )
    );
    expect(missing.name).toBe('ValidationException');
  });

  it('relays endpoints: InService in moto', async () => {
    await client.send(
      new CreateModelCommand({
        ModelName: 'relay-model',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: 'inference:latest' }
      })
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'relay-config',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'relay-model',
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.xlarge'
          }
        ]
      })
    );
    await client.send(
      new CreateEndpointCommand({
        EndpointName: 'relay-endpoint',
        EndpointConfigName: 'relay-config'
      })
    );
    const endpoint = await client.send(
      new DescribeEndpointCommand({ EndpointName: 'relay-endpoint' })
    );
    expect(endpoint.EndpointStatus).toBe('InService');
  });
});

describe('jobs', () => {
  it('a training job stays InProgress until stopped, then Stopping → Stopped', async () => {
    const { TrainingJobArn } = await client.send(
      new CreateTrainingJobCommand({
        ...trainingJob('train-stop', 2),
        Tags: [{ Key: 'project', Value: 'ssh' }]
      })
    );
    expect(TrainingJobArn).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:training-job/train-stop'
    );
    const created = await client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: 'train-stop' })
    );
    expect(created).toMatchObject({
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Starting',
      ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.xlarge' },
      RoleArn: ROLE
    });
    expect(created.CreationTime).toBeInstanceOf(Date);
    expect(Date.now() - (created.CreationTime as Date).getTime()).toBeLessThan(
      60_000
    );
    expect(created.TrainingEndTime).toBeUndefined();

    await sleep(SETTLE_MS * 2);
    const inProgress = await client.send(
      new ListTrainingJobsCommand({ StatusEquals: 'InProgress' })
    );
    expect(
      inProgress.TrainingJobSummaries?.map(job => job.TrainingJobName)
    ).toContain('train-stop');

    sandbox.sagemaker.jobs.advance('training', 'train-stop');
    const running = await client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: 'train-stop' })
    );
    expect(running.SecondaryStatus).toBe('Training');
    expect(running.TrainingStartTime).toBeInstanceOf(Date);
    expect(
      running.SecondaryStatusTransitions?.map(transition => transition.Status)
    ).toEqual(['Starting', 'Downloading', 'Training']);

    expect(
      (await client.send(new ListTagsCommand({ ResourceArn: TrainingJobArn })))
        .Tags
    ).toEqual([{ Key: 'project', Value: 'ssh' }]);
    await client.send(
      new AddTagsCommand({
        ResourceArn: TrainingJobArn,
        Tags: [{ Key: 'owner', Value: 'alice' }]
      })
    );
    await client.send(
      new DeleteTagsCommand({
        ResourceArn: TrainingJobArn,
        TagKeys: ['project']
      })
    );
    expect(
      (await client.send(new ListTagsCommand({ ResourceArn: TrainingJobArn })))
        .Tags
    ).toEqual([{ Key: 'owner', Value: 'alice' }]);

    await client.send(
      new StopTrainingJobCommand({ TrainingJobName: 'train-stop' })
    );
    const stopping = await client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: 'train-stop' })
    );
    expect(stopping).toMatchObject({
      TrainingJobStatus: 'Stopping',
      SecondaryStatus: 'Stopping'
    });
    await sleep(SETTLE_MS + 50);
    const stopped = await client.send(
      new DescribeTrainingJobCommand({ TrainingJobName: 'train-stop' })
    );
    expect(stopped).toMatchObject({
      TrainingJobStatus: 'Stopped',
      SecondaryStatus: 'Stopped'
    });
    expect(stopped.TrainingEndTime).toBeInstanceOf(Date);
    expect(stopped.TrainingTimeInSeconds).toBeGreaterThanOrEqual(0);
    expect(
      stopped.SecondaryStatusTransitions?.every(
        transition => transition.EndTime instanceof Date
      )
    ).toBe(true);
    const again = await rejection(
      client.send(new StopTrainingJobCommand({ TrainingJobName: 'train-stop' }))
    );
    expect(again.name).toBe('ValidationException');
    expect(again.message).toBe(
      'The request was rejected because the training job is in status Stopped.'
    );
    const stoppedList = await client.send(
      new ListTrainingJobsCommand({ StatusEquals: 'Stopped' })
    );
    expect(stoppedList.TrainingJobSummaries).toEqual([
      expect.objectContaining({
        TrainingJobName: 'train-stop',
        TrainingJobStatus: 'Stopped',
        SecondaryStatus: 'Stopped'
      })
    ]);
  });

  it('the sandbox ends jobs: Completed, and Failed with the reason', async () => {
    await client.send(
      new CreateProcessingJobCommand({
        ProcessingJobName: 'process-done',
        AppSpecification: { ImageUri: 'processing:latest' },
        RoleArn: ROLE,
        ProcessingResources: {
          ClusterConfig: {
            InstanceCount: 3,
            InstanceType: 'ml.m5.xlarge',
            VolumeSizeInGB: 30
          }
        }
      })
    );
    await client.send(
      new CreateModelCommand({
        ModelName: 'transform-model',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: 'inference:latest' }
      })
    );
    await client.send(
      new CreateTransformJobCommand({
        TransformJobName: 'transform-fails',
        ModelName: 'transform-model',
        TransformInput: {
          DataSource: {
            S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/in' }
          }
        },
        TransformOutput: { S3OutputPath: 's3://bucket/out' },
        TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 }
      })
    );
    const pending = await client.send(
      new DescribeProcessingJobCommand({ ProcessingJobName: 'process-done' })
    );
    expect(pending).toMatchObject({
      ProcessingJobStatus: 'InProgress',
      ProcessingResources: { ClusterConfig: { InstanceCount: 3 } }
    });
    expect(pending.ProcessingStartTime).toBeUndefined();

    sandbox.sagemaker.jobs.finish('processing', 'process-done', 'Completed');
    sandbox.sagemaker.jobs.finish('transform', 'transform-fails', 'Failed', {
      failureReason: 'ClientError: input data not found'
    });
    const done = await client.send(
      new DescribeProcessingJobCommand({ ProcessingJobName: 'process-done' })
    );
    expect(done.ProcessingJobStatus).toBe('Completed');
    expect(done.ProcessingStartTime).toBeInstanceOf(Date);
    expect(done.ProcessingEndTime).toBeInstanceOf(Date);
    const failed = await client.send(
      new DescribeTransformJobCommand({ TransformJobName: 'transform-fails' })
    );
    expect(failed).toMatchObject({
      TransformJobStatus: 'Failed',
      FailureReason: 'ClientError: input data not found',
      ModelName: 'transform-model'
    });
    const failures = await client.send(
      new ListTransformJobsCommand({ StatusEquals: 'Failed' })
    );
    expect(failures.TransformJobSummaries?.[0]).toMatchObject({
      TransformJobName: 'transform-fails',
      FailureReason: 'ClientError: input data not found'
    });
    expect(
      (
        await client.send(
          new ListProcessingJobsCommand({ StatusEquals: 'InProgress' })
        )
      ).ProcessingJobSummaries
    ).toEqual([]);
    const stop = await rejection(
      client.send(
        new StopProcessingJobCommand({ ProcessingJobName: 'process-done' })
      )
    );
    expect(stop.name).toBe('ValidationException');
  });

  it('lists with NameContains, sort and pagination', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await client.send(new CreateTrainingJobCommand(trainingJob(name)));
    }
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListTrainingJobsCommand({
          NameContains: 'page-',
          SortBy: 'Name',
          SortOrder: 'Descending',
          MaxResults: 2,
          NextToken: token
        })
      );
      expect(page.TrainingJobSummaries?.length).toBeLessThanOrEqual(2);
      names.push(
        ...(page.TrainingJobSummaries ?? []).map(
          job => job.TrainingJobName as string
        )
      );
      token = page.NextToken;
    } while (token);
    expect(names).toEqual(['page-c', 'page-b', 'page-a']);
    const bad = await rejection(
      client.send(
        new ListTrainingJobsCommand({
          NameContains: 'page-',
          NextToken: 'bogus'
        })
      )
    );
    expect(bad.name).toBe('ValidationException');
  });

  it('answers errors in SageMaker’s shapes', async () => {
    const missing = await rejection(
      client.send(new DescribeTrainingJobCommand({ TrainingJobName: 'absent' }))
    );
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toBe('Requested resource not found.');

    await client.send(new CreateTrainingJobCommand(trainingJob('unique-name')));
    const duplicate = await rejection(
      client.send(new CreateTrainingJobCommand(trainingJob('unique-name')))
    );
    expect(duplicate).toBeInstanceOf(ResourceInUse);

    const stop = await rejection(
      client.send(new StopTrainingJobCommand({ TrainingJobName: 'absent' }))
    );
    expect(stop).toBeInstanceOf(ResourceNotFound);

    const badName = await rejection(
      client.send(new CreateTrainingJobCommand(trainingJob('bad_name')))
    );
    expect(badName.name).toBe('ValidationException');
    expect(badName.message).toMatch(/at 'trainingJobName' failed to satisfy/);

    const badStatus = await rejection(
      client.send(
        new ListTrainingJobsCommand({
          StatusEquals: 'Running' as 'InProgress'
        })
      )
    );
    expect(badStatus.message).toMatch(/Member must satisfy enum value set/);

    const noModel = await rejection(
      client.send(
        new CreateTransformJobCommand({
          TransformJobName: 'no-model',
          ModelName: 'absent-model',
          TransformInput: {
            DataSource: {
              S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' }
            }
          },
          TransformOutput: { S3OutputPath: 's3://b/out' },
          TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 }
        })
      )
    );
    expect(noModel.name).toBe('ValidationException');
    expect(noModel.message).toMatch(/Could not find model/);

    const tags = await rejection(
      client.send(
        new ListTagsCommand({
          ResourceArn:
            'arn:aws:sagemaker:us-east-1:123456789012:training-job/absent'
        })
      )
    );
    expect(tags.name).toBe('ValidationException');
  });
});

describe('Studio', () => {
  let domainId: string;

  beforeAll(async () => {
    const { DomainArn } = await client.send(
      new CreateDomainCommand({
        DomainName: 'studio-test',
        AuthMode: 'IAM',
        DefaultUserSettings: { ExecutionRole: ROLE },
        SubnetIds: ['subnet-0test'],
        VpcId: 'vpc-0test'
      })
    );
    domainId = (DomainArn as string).split('/').pop() as string;
  });

  it('user profiles and their apps: Pending, InService, listed, tagged, deleted', async () => {
    const { UserProfileArn } = await client.send(
      new CreateUserProfileCommand({
        DomainId: domainId,
        UserProfileName: 'alice',
        Tags: [{ Key: 'studio', Value: 'yes' }]
      })
    );
    expect(UserProfileArn).toBe(
      `arn:aws:sagemaker:us-east-1:123456789012:user-profile/${domainId}/alice`
    );
    expect(
      (
        await client.send(
          new DescribeUserProfileCommand({
            DomainId: domainId,
            UserProfileName: 'alice'
          })
        )
      ).Status
    ).toBe('Pending');
    await sleep(SETTLE_MS + 50);
    const profile = await client.send(
      new DescribeUserProfileCommand({
        DomainId: domainId,
        UserProfileName: 'alice'
      })
    );
    expect(profile).toMatchObject({
      DomainId: domainId,
      UserProfileArn,
      UserProfileName: 'alice',
      Status: 'InService'
    });

    const { AppArn } = await client.send(
      new CreateAppCommand({
        DomainId: domainId,
        UserProfileName: 'alice',
        AppType: 'KernelGateway',
        AppName: 'datascience-1-0-ml-t3-medium-test',
        Tags: [{ Key: 'kernel', Value: 'python3' }]
      })
    );
    expect(AppArn).toBe(
      `arn:aws:sagemaker:us-east-1:123456789012:app/${domainId}/alice/KernelGateway/datascience-1-0-ml-t3-medium-test`
    );
    const describe = () =>
      client.send(
        new DescribeAppCommand({
          DomainId: domainId,
          UserProfileName: 'alice',
          AppType: 'KernelGateway',
          AppName: 'datascience-1-0-ml-t3-medium-test'
        })
      );
    expect((await describe()).Status).toBe('Pending');
    await sleep(SETTLE_MS + 50);
    expect(await describe()).toMatchObject({
      AppArn,
      AppType: 'KernelGateway',
      DomainId: domainId,
      UserProfileName: 'alice',
      Status: 'InService',
      ResourceSpec: { InstanceType: 'ml.t3.medium' }
    });
    expect(
      (await client.send(new ListTagsCommand({ ResourceArn: AppArn }))).Tags
    ).toEqual([{ Key: 'kernel', Value: 'python3' }]);
    const apps = await client.send(
      new ListAppsCommand({
        DomainIdEquals: domainId,
        UserProfileNameEquals: 'alice'
      })
    );
    expect(apps.Apps).toEqual([
      expect.objectContaining({
        AppName: 'datascience-1-0-ml-t3-medium-test',
        AppType: 'KernelGateway',
        Status: 'InService',
        UserProfileName: 'alice'
      })
    ]);
    expect(
      (
        await client.send(
          new ListUserProfilesCommand({ DomainIdEquals: domainId })
        )
      ).UserProfiles?.map(user => [user.UserProfileName, user.Status])
    ).toEqual([['alice', 'InService']]);

    const busy = await rejection(
      client.send(
        new DeleteUserProfileCommand({
          DomainId: domainId,
          UserProfileName: 'alice'
        })
      )
    );
    expect(busy).toBeInstanceOf(ResourceInUse);
    const domainBusy = await rejection(
      client.send(new DeleteDomainCommand({ DomainId: domainId }))
    );
    expect(domainBusy).toBeInstanceOf(ResourceInUse);

    await client.send(
      new DeleteAppCommand({
        DomainId: domainId,
        UserProfileName: 'alice',
        AppType: 'KernelGateway',
        AppName: 'datascience-1-0-ml-t3-medium-test'
      })
    );
    expect((await describe()).Status).toBe('Deleting');
    await sleep(SETTLE_MS + 50);
    expect((await describe()).Status).toBe('Deleted');
    await client.send(
      new DeleteUserProfileCommand({
        DomainId: domainId,
        UserProfileName: 'alice'
      })
    );
    sandbox.sagemaker.settleAll();
    const gone = await rejection(
      client.send(
        new DescribeUserProfileCommand({
          DomainId: domainId,
          UserProfileName: 'alice'
        })
      )
    );
    expect(gone).toBeInstanceOf(ResourceNotFound);
  });

  it('spaces with a JupyterLab app, and what does not exist', async () => {
    await client.send(
      new CreateUserProfileCommand({
        DomainId: domainId,
        UserProfileName: 'bob'
      })
    );
    await client.send(
      new CreateSpaceCommand({
        DomainId: domainId,
        SpaceName: 'bob-space',
        OwnershipSettings: { OwnerUserProfileName: 'bob' },
        SpaceSharingSettings: { SharingType: 'Private' },
        SpaceSettings: { AppType: 'JupyterLab' }
      })
    );
    sandbox.sagemaker.settleAll();
    await client.send(
      new CreateAppCommand({
        DomainId: domainId,
        SpaceName: 'bob-space',
        AppType: 'JupyterLab',
        AppName: 'default'
      })
    );
    sandbox.sagemaker.settleAll();
    expect(
      await client.send(
        new DescribeSpaceCommand({ DomainId: domainId, SpaceName: 'bob-space' })
      )
    ).toMatchObject({
      SpaceName: 'bob-space',
      Status: 'InService',
      OwnershipSettings: { OwnerUserProfileName: 'bob' }
    });
    expect(
      (await client.send(new ListSpacesCommand({ DomainIdEquals: domainId })))
        .Spaces
    ).toEqual([
      expect.objectContaining({
        SpaceName: 'bob-space',
        SpaceSharingSettingsSummary: { SharingType: 'Private' },
        OwnershipSettingsSummary: { OwnerUserProfileName: 'bob' },
        SpaceSettingsSummary: { AppType: 'JupyterLab' }
      })
    ]);
    expect(
      (await client.send(new ListAppsCommand({ SpaceNameEquals: 'bob-space' })))
        .Apps
    ).toEqual([
      expect.objectContaining({
        AppType: 'JupyterLab',
        AppName: 'default',
        SpaceName: 'bob-space',
        Status: 'InService'
      })
    ]);

    const noDomain = await rejection(
      client.send(
        new CreateUserProfileCommand({
          DomainId: 'd-absent',
          UserProfileName: 'carol'
        })
      )
    );
    expect(noDomain).toBeInstanceOf(ResourceNotFound);
    const noApp = await rejection(
      client.send(
        new DescribeAppCommand({
          DomainId: domainId,
          UserProfileName: 'bob',
          AppType: 'KernelGateway',
          AppName: 'absent'
        })
      )
    );
    expect(noApp).toBeInstanceOf(ResourceNotFound);
    const noOwner = await rejection(
      client.send(
        new CreateAppCommand({
          DomainId: domainId,
          UserProfileName: 'nobody',
          AppType: 'KernelGateway',
          AppName: 'kernel'
        })
      )
    );
    expect(noOwner).toBeInstanceOf(ResourceNotFound);
    const badType = await rejection(
      client.send(
        new CreateAppCommand({
          DomainId: domainId,
          UserProfileName: 'bob',
          AppType: 'Notebook' as 'KernelGateway',
          AppName: 'kernel'
        })
      )
    );
    expect(badType.name).toBe('ValidationException');
  });
});
