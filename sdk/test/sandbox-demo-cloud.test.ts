/**
 * The demo fleet with the sandbox's cloud: every tagged instance's SSHResourceArn names a SageMaker resource that
 * exists and runs, the endpoint instance is found the original project's way (Logs Insights on the endpoint's log
 * group), and the other user's instance is someone else's. Real SSM, SageMaker and Logs clients over HTTP, moto.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeAppCommand,
  DescribeEndpointCommand,
  DescribeNotebookInstanceCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  DescribeUserProfileCommand,
  ListAppsCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  createDemoFleet,
  startSandbox,
  type IDemoFleet,
  type ISandbox
} from '../src/sandbox/index.js';
import { MOTO_SERVER } from './harness/cloud.js';
import { queryRegistrations } from './harness/insights.js';

let sandbox: ISandbox;
let fleet: IDemoFleet;
let sagemaker: SageMakerClient;
let ssm: SSMClient;
let logs: CloudWatchLogsClient;

function config(endpoint: string) {
  return {
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  };
}

async function tagsOf(instanceId: string): Promise<Record<string, string>> {
  const { TagList } = await ssm.send(
    new ListTagsForResourceCommand({
      ResourceType: 'ManagedInstance',
      ResourceId: instanceId
    })
  );
  return Object.fromEntries(
    (TagList ?? []).map(tag => [tag.Key ?? '', tag.Value ?? ''])
  );
}

beforeAll(async () => {
  sandbox = await startSandbox({ motoServer: MOTO_SERVER });
  fleet = await createDemoFleet(sandbox.ssm.instances, {
    hosts: false,
    cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker }
  });
  sagemaker = new SageMakerClient(
    config(sandbox.env.AWS_ENDPOINT_URL_SAGEMAKER)
  );
  ssm = new SSMClient(config(sandbox.env.AWS_ENDPOINT_URL_SSM));
  logs = new CloudWatchLogsClient(
    config(sandbox.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)
  );
});

afterAll(async () => {
  sagemaker?.destroy();
  ssm?.destroy();
  logs?.destroy();
  await sandbox?.close();
});

describe('the demo fleet’s SageMaker resources', () => {
  it('tags every instance but the endpoint’s with the ARN of a running resource', async () => {
    const seen: Record<string, string> = {};
    for (const instance of fleet.instances) {
      const tags = await tagsOf(instance.instanceId);
      if (instance.kind === 'inference') {
        expect(tags).toEqual({});
        continue;
      }
      expect(tags.SSHResourceArn).toBe(instance.resourceArn);
      expect(tags.SSHResourceName).toBe(instance.name);
      const name = instance.name;
      switch (instance.kind) {
        case 'training': {
          const job = await sagemaker.send(
            new DescribeTrainingJobCommand({ TrainingJobName: name })
          );
          expect(job.TrainingJobArn).toBe(tags.SSHResourceArn);
          expect(job.TrainingJobStatus).toBe('InProgress');
          expect(job.SecondaryStatus).toBe('Training');
          seen[`training ${name}`] = String(job.ResourceConfig?.InstanceCount);
          break;
        }
        case 'processing': {
          const job = await sagemaker.send(
            new DescribeProcessingJobCommand({ ProcessingJobName: name })
          );
          expect(job.ProcessingJobArn).toBe(tags.SSHResourceArn);
          seen.processing = String(job.ProcessingJobStatus);
          break;
        }
        case 'transform': {
          const job = await sagemaker.send(
            new DescribeTransformJobCommand({ TransformJobName: name })
          );
          expect(job.TransformJobArn).toBe(tags.SSHResourceArn);
          seen.transform = String(job.TransformJobStatus);
          break;
        }
        case 'notebook': {
          const notebook = await sagemaker.send(
            new DescribeNotebookInstanceCommand({ NotebookInstanceName: name })
          );
          expect(notebook.NotebookInstanceArn).toBe(tags.SSHResourceArn);
          seen.notebook = String(notebook.NotebookInstanceStatus);
          break;
        }
        case 'studio': {
          const domainId = fleet.resources?.domainId as string;
          const app = await sagemaker.send(
            new DescribeAppCommand({
              DomainId: domainId,
              UserProfileName: 'alice',
              AppType: 'KernelGateway',
              AppName: name
            })
          );
          expect(app.AppArn).toBe(tags.SSHResourceArn);
          expect(tags.SSHResourceArn).toContain(`:app/${domainId}/alice/`);
          seen.studio = String(app.Status);
          break;
        }
      }
    }
    expect(seen).toEqual({
      'training ssh-training-demo': '2',
      'training bob-training-job': '1',
      processing: 'InProgress',
      transform: 'InProgress',
      notebook: 'InService',
      studio: 'InService'
    });
    const training = fleet.instances.filter(
      instance => instance.name === 'ssh-training-demo'
    );
    expect(training.map(instance => instance.node)).toEqual([0, 1]);
    const bob = fleet.instances.find(
      instance => instance.name === 'bob-training-job'
    );
    expect(bob?.owner).toBe('AROAEXAMPLEOTHER:bob');
    expect((await tagsOf(bob?.instanceId as string)).SSHOwner).toBe(
      'AROAEXAMPLEOTHER:bob'
    );
  });

  it('has the Studio domain’s user profile and apps InService', async () => {
    const domainId = fleet.resources?.domainId as string;
    expect(
      (
        await sagemaker.send(
          new DescribeUserProfileCommand({
            DomainId: domainId,
            UserProfileName: 'alice'
          })
        )
      ).Status
    ).toBe('InService');
    const { Apps } = await sagemaker.send(
      new ListAppsCommand({ DomainIdEquals: domainId })
    );
    expect(
      Apps?.map(app => `${app.AppType}/${app.AppName} ${app.Status}`).sort()
    ).toEqual([
      'JupyterLab/default InService',
      'JupyterLab/default InService',
      'JupyterServer/default InService',
      'KernelGateway/datascience-1-0-ml-t3-medium-demo InService'
    ]);
  });

  it('finds the untagged endpoint instance the original project’s way: its registration line in the endpoint’s logs', async () => {
    const endpoint = fleet.instances.find(
      instance => instance.kind === 'inference'
    );
    expect(
      (
        await sagemaker.send(
          new DescribeEndpointCommand({ EndpointName: endpoint?.name })
        )
      ).EndpointStatus
    ).toBe('InService');
    const answer = await queryRegistrations(
      logs,
      `/aws/sagemaker/Endpoints/${endpoint?.name}`,
      'AllTraffic/',
      14 * 86_400,
      20
    );
    const found = (answer.results ?? []).map(
      line => /instance-id: (mi-.+)/.exec(line[2]?.value ?? '')?.[1]
    );
    expect(found).toEqual([endpoint?.instanceId]);
  });
});
