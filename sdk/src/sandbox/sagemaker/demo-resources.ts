/**
 * The SageMaker side of the demo fleet, created through the sandbox's own endpoint with the real AWS SDK as a
 * user would: the execution role (moto's IAM, set up as the guide says: trusted by SageMaker and SSM, with
 * `SSHSageMakerServerPolicy`), running jobs (a two-node training job, a processing job, a transform job, another user's training
 * job), a notebook instance and an endpoint (moto's, InService), a Studio domain (moto's) with a user profile and
 * its JupyterServer and KernelGateway apps, and the CloudWatch log lines the original project's containers write
 * when their SSM agent registers.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs';
import {
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
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import {
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand
} from '@aws-sdk/client-iam';
import { formatTarget } from '../../names/index.js';
import {
  SERVER_POLICY_NAME,
  serverPolicy,
  trustPolicy
} from '../../policies/documents.js';
import type { SageMakerFront } from './front.js';

/** Where the demo creates its resources: the sandbox's endpoint and its SageMaker front (to start the jobs). */
export interface IDemoCloud {
  url: string;
  sagemaker: SageMakerFront;
}

export interface IDemoResourceNames {
  account: string;
  region: string;
  training: string;
  processing: string;
  transform: string;
  notebook: string;
  endpoint: string;
  /** Another user's training job. */
  otherTraining: string;
  domainName: string;
  userProfile: string;
  kernelGateway: string;
  /** Studio spaces of `userProfile` (private, JupyterLab app `default` InService on ml.m5.large). */
  spaces?: Array<{ name: string; remoteAccess: 'ENABLED' | 'DISABLED' }>;
}

/** A Studio space of the demo, reached through SageMaker remote access. */
export interface IDemoSpace {
  spaceName: string;
  domainId: string;
  /** `arn:aws:sagemaker:<region>:<account>:space/<domain-id>/<space-name>`. */
  spaceArn: string;
  /** `<space>.<domain-id>.space.sagemaker`. */
  target: string;
  remoteAccess: 'ENABLED' | 'DISABLED';
  ownerProfile: string;
  appType: 'JupyterLab';
  appName: string;
  instanceType: string;
}

export interface IDemoResources {
  domainId: string;
  /** ARNs by resource name (the Studio app by its app name, a space by its space name). */
  arns: Record<string, string>;
  /** The Studio spaces, in the order the names gave them. */
  spaces: IDemoSpace[];
}

/** A log stream and the lines a container wrote to it. */
export interface IDemoLog {
  group: string;
  stream: string;
  lines: string[];
}

/** The line `amazon-ssm-agent -register` prints, which the original project finds endpoints by. */
export function registrationLine(instanceId: string): string {
  return `Successfully registered the instance with AWS SSM using Managed instance-id: ${instanceId}`;
}

/** Fake credentials: the sandbox and moto accept any signature. */
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
};

function clientConfig(cloud: Pick<IDemoCloud, 'url'>, region: string) {
  return {
    region,
    endpoint: cloud.url,
    credentials: CREDENTIALS,
    maxAttempts: 1
  };
}

/** The demo's SageMaker execution role (name with path). */
export const DEMO_ROLE = 'service-role/AmazonSageMaker-ExecutionRole-demo';

/**
 * Creates the demo's execution role as the setup guide leaves it: the guide's trust policy (SageMaker and SSM) and
 * the inline `SSHSageMakerServerPolicy`, so that `sm-ssh setup check --sagemaker-role` passes its server items and
 * jobs launched with it run. A role that exists already is left as it is.
 */
export async function createDemoRole(
  cloud: Pick<IDemoCloud, 'url'>,
  account: string,
  region: string
): Promise<string> {
  const arn = `arn:aws:iam::${account}:role/${DEMO_ROLE}`;
  const [path, name] = [
    `/${DEMO_ROLE.split('/')[0]}/`,
    DEMO_ROLE.split('/')[1]
  ];
  const iam = new IAMClient(clientConfig(cloud, region));
  try {
    try {
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: path,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicy()),
          Description:
            'The sm-ssh demo: the SageMaker execution role of its jobs'
        })
      );
    } catch (error) {
      if ((error as Error).name === 'EntityAlreadyExistsException') {
        return arn;
      }
      throw error;
    }
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: SERVER_POLICY_NAME,
        PolicyDocument: JSON.stringify(
          serverPolicy({ sagemakerRoleArn: arn, account })
        )
      })
    );
    return arn;
  } finally {
    iam.destroy();
  }
}

/** Creates the demo's SageMaker resources and puts its jobs and apps in their running states. */
export async function createDemoResources(
  cloud: IDemoCloud,
  names: IDemoResourceNames
): Promise<IDemoResources> {
  const role = await createDemoRole(cloud, names.account, names.region);
  const client = new SageMakerClient(clientConfig(cloud, names.region));
  const image = `763104351884.dkr.ecr.${names.region}.amazonaws.com/pytorch-training:2.1.0-cpu-py310`;
  const bucket = `s3://sagemaker-${names.region}-${names.account}`;
  const arns: Record<string, string> = {};
  try {
    for (const [name, instances] of [
      [names.training, 2],
      [names.otherTraining, 1]
    ] as const) {
      const created = await client.send(
        new CreateTrainingJobCommand({
          TrainingJobName: name,
          AlgorithmSpecification: {
            TrainingImage: image,
            TrainingInputMode: 'File'
          },
          RoleArn: role,
          OutputDataConfig: { S3OutputPath: `${bucket}/${name}/output` },
          ResourceConfig: {
            InstanceType: 'ml.m5.xlarge',
            InstanceCount: instances,
            VolumeSizeInGB: 30
          },
          StoppingCondition: { MaxRuntimeInSeconds: 86400 },
          Environment: { START_SSH: 'true' }
        })
      );
      arns[name] = created.TrainingJobArn as string;
    }
    arns[names.processing] = (
      await client.send(
        new CreateProcessingJobCommand({
          ProcessingJobName: names.processing,
          AppSpecification: { ImageUri: image },
          RoleArn: role,
          ProcessingResources: {
            ClusterConfig: {
              InstanceCount: 1,
              InstanceType: 'ml.m5.xlarge',
              VolumeSizeInGB: 30
            }
          },
          StoppingCondition: { MaxRuntimeInSeconds: 86400 }
        })
      )
    ).ProcessingJobArn as string;
    const model = `${names.endpoint}-model`;
    await client.send(
      new CreateModelCommand({
        ModelName: model,
        ExecutionRoleArn: role,
        PrimaryContainer: {
          Image: image.replace('pytorch-training', 'pytorch-inference'),
          ModelDataUrl: `${bucket}/${names.training}/output/model.tar.gz`
        }
      })
    );
    arns[names.transform] = (
      await client.send(
        new CreateTransformJobCommand({
          TransformJobName: names.transform,
          ModelName: model,
          TransformInput: {
            DataSource: {
              S3DataSource: {
                S3DataType: 'S3Prefix',
                S3Uri: `${bucket}/${names.transform}/input`
              }
            }
          },
          TransformOutput: {
            S3OutputPath: `${bucket}/${names.transform}/output`
          },
          TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 }
        })
      )
    ).TransformJobArn as string;
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${names.endpoint}-config`,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: model,
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.xlarge'
          }
        ]
      })
    );
    arns[names.endpoint] = (
      await client.send(
        new CreateEndpointCommand({
          EndpointName: names.endpoint,
          EndpointConfigName: `${names.endpoint}-config`
        })
      )
    ).EndpointArn as string;
    arns[names.notebook] = (
      await client.send(
        new CreateNotebookInstanceCommand({
          NotebookInstanceName: names.notebook,
          InstanceType: 'ml.t3.medium',
          RoleArn: role
        })
      )
    ).NotebookInstanceArn as string;
    const domainArn = (
      await client.send(
        new CreateDomainCommand({
          DomainName: names.domainName,
          AuthMode: 'IAM',
          DefaultUserSettings: { ExecutionRole: role },
          SubnetIds: ['subnet-0demo0000000000'],
          VpcId: 'vpc-0demo0000000000'
        })
      )
    ).DomainArn as string;
    const domainId = domainArn.slice(domainArn.lastIndexOf('/') + 1);
    await client.send(
      new CreateUserProfileCommand({
        DomainId: domainId,
        UserProfileName: names.userProfile
      })
    );
    for (const [type, name] of [
      ['JupyterServer', 'default'],
      ['KernelGateway', names.kernelGateway]
    ] as const) {
      arns[name] = (
        await client.send(
          new CreateAppCommand({
            DomainId: domainId,
            UserProfileName: names.userProfile,
            AppType: type,
            AppName: name
          })
        )
      ).AppArn as string;
    }
    const spaces: IDemoSpace[] = [];
    for (const { name, remoteAccess } of names.spaces ?? []) {
      const spaceArn = (
        await client.send(
          new CreateSpaceCommand({
            DomainId: domainId,
            SpaceName: name,
            OwnershipSettings: { OwnerUserProfileName: names.userProfile },
            SpaceSharingSettings: { SharingType: 'Private' },
            SpaceSettings: { AppType: 'JupyterLab', RemoteAccess: remoteAccess }
          })
        )
      ).SpaceArn as string;
      const instanceType = 'ml.m5.large';
      await client.send(
        new CreateAppCommand({
          DomainId: domainId,
          SpaceName: name,
          AppType: 'JupyterLab',
          AppName: 'default',
          ResourceSpec: { InstanceType: instanceType }
        })
      );
      arns[name] = spaceArn;
      spaces.push({
        spaceName: name,
        domainId,
        spaceArn,
        target: formatTarget({
          form: 'name',
          kind: 'space',
          name,
          domain: domainId
        }),
        remoteAccess,
        ownerProfile: names.userProfile,
        appType: 'JupyterLab',
        appName: 'default',
        instanceType
      });
    }
    const scope = { account: names.account, region: names.region };
    for (const name of [names.training, names.otherTraining]) {
      cloud.sagemaker.jobs.advance('training', name, { scope });
    }
    cloud.sagemaker.jobs.advance('processing', names.processing, { scope });
    cloud.sagemaker.jobs.advance('transform', names.transform, { scope });
    cloud.sagemaker.settleAll();
    // the demo is ready to connect to at once: its spaces' remote-access servers have booted
    cloud.sagemaker.studio.bootRemoteAccess();
    return { domainId, arns, spaces };
  } finally {
    client.destroy();
  }
}

/** Writes each log's lines (one a second, ending now) to its group and stream, creating them as needed. */
export async function writeDemoLogs(
  cloud: IDemoCloud,
  region: string,
  logs: IDemoLog[]
): Promise<void> {
  const client = new CloudWatchLogsClient(clientConfig(cloud, region));
  const groups = new Set<string>();
  const now = Date.now();
  try {
    for (const log of logs) {
      if (!groups.has(log.group)) {
        groups.add(log.group);
        await client
          .send(new CreateLogGroupCommand({ logGroupName: log.group }))
          .catch((error: Error) => {
            if (error.name !== 'ResourceAlreadyExistsException') {
              throw error;
            }
          });
      }
      await client.send(
        new CreateLogStreamCommand({
          logGroupName: log.group,
          logStreamName: log.stream
        })
      );
      await client.send(
        new PutLogEventsCommand({
          logGroupName: log.group,
          logStreamName: log.stream,
          logEvents: log.lines.map((message, index) => ({
            timestamp: now - (log.lines.length - 1 - index) * 1000,
            message
          }))
        })
      );
    }
  } finally {
    client.destroy();
  }
}
