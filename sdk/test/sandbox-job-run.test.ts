/**
 * The sandbox runs the jobs it is asked to create, as SageMaker does: real SageMaker, S3, STS, IAM, Logs and SSM
 * clients over HTTP against the sandbox and moto. A training job with a ContainerEntrypoint gets one container per
 * node (hostname algo-<i>, private /etc/ssh, /tmp and /opt/ml) with its S3 channel, SageMaker's config files, its
 * environment and the execution role's session; it moves Starting → Downloading → Training → Uploading → Completed
 * and every node's output is in its CloudWatch log stream. A failing command, an input missing from S3 and a role
 * SageMaker cannot assume fail the job with SageMaker's kind of reason; StopTrainingJob sends SIGTERM and the job is
 * Stopped once its nodes have exited; a job without an entry point waits as before. Then the proof that matters:
 * a job running `sdk/remote/sm-ssh-init.sh` registers every node as a managed instance tagged with the job, reached
 * by name with `sm-ssh exec`, and deregistered when the job is stopped. The demo's execution role passes the setup
 * check's trust and server items. Closing the sandbox ends a running job and leaves nothing behind.
 */
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateBucketCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3';
import {
  CreateProcessingJobCommand,
  CreateTrainingJobCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  type CreateTrainingJobCommandInput,
  type DescribeTrainingJobCommandOutput
} from '@aws-sdk/client-sagemaker';
import { ListTagsForResourceCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { existsSync } from 'node:fs';
import { AwsClients } from '../src/aws/index.js';
import { checkSetup } from '../src/policies/index.js';
import { resolveTarget } from '../src/resolve/index.js';
import {
  createDemoRole,
  processesUsing,
  SANDBOX_CREDENTIALS,
  sandboxCaller,
  type JobRun
} from '../src/sandbox/index.js';
import {
  CLI,
  localClientConfig,
  REPO_ROOT,
  runCli,
  SANDBOX_CLIENT_CREDENTIALS,
  startLocalCloud,
  type ILocalCloud
} from './harness/cloud.js';
import { eventually } from './harness/eventually.js';
import { queryRegistrations } from './harness/insights.js';

const SCRIPT = `${REPO_ROOT}sdk/remote/sm-ssh-init.sh`;
const AGENT = `${REPO_ROOT}sdk/dist/sandbox/agent/ssm-agent-main.js`;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = `sagemaker-${REGION}-${ACCOUNT}`;
const REGISTERED =
  /Successfully registered the instance with AWS SSM using Managed instance-id: (mi-[0-9a-f]{17})/;

let cloud: ILocalCloud;
let sagemaker: SageMakerClient;
let logs: CloudWatchLogsClient;
let ssm: SSMClient;
let role: string;
let owner: string;
let closed = false;
const saved = { ...process.env };
function training(
  name: string,
  command: string[],
  more: Partial<CreateTrainingJobCommandInput> = {}
): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: {
      TrainingImage: `763104351884.dkr.ecr.${REGION}.amazonaws.com/pytorch-training:2.1.0-cpu-py310`,
      TrainingInputMode: 'File',
      ContainerEntrypoint: command.slice(0, 1),
      ContainerArguments: command.slice(1)
    },
    RoleArn: role,
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/${name}/output` },
    ResourceConfig: {
      InstanceType: 'ml.m5.xlarge',
      InstanceCount: 1,
      VolumeSizeInGB: 30
    },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    ...more
  };
}

async function describeTraining(
  name: string
): Promise<DescribeTrainingJobCommandOutput> {
  return sagemaker.send(
    new DescribeTrainingJobCommand({ TrainingJobName: name })
  );
}

async function trainingEnds(
  name: string
): Promise<DescribeTrainingJobCommandOutput> {
  return eventually(`${name} to end`, async () => {
    const job = await describeTraining(name);
    return ['InProgress', 'Stopping'].includes(job.TrainingJobStatus ?? '')
      ? undefined
      : job;
  });
}

function runOf(kind: 'training' | 'processing', name: string): JobRun {
  const run = cloud.sandbox.sagemaker.jobRuns?.get(kind, name);
  if (!run) {
    throw new Error(`the sandbox does not run ${kind} job ${name}`);
  }
  return run;
}

/** The messages of a job's log stream for a node. */
async function logLines(
  group: string,
  job: string,
  host: string
): Promise<string[]> {
  const { logStreams } = await logs.send(
    new DescribeLogStreamsCommand({
      logGroupName: group,
      logStreamNamePrefix: `${job}/${host}-`
    })
  );
  expect(logStreams).toHaveLength(1);
  const { events } = await logs.send(
    new GetLogEventsCommand({
      logGroupName: group,
      logStreamName: logStreams?.[0].logStreamName,
      startFromHead: true
    })
  );
  const times = (events ?? []).map(event => event.timestamp ?? 0);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  return (events ?? []).map(event => event.message ?? '');
}

function lines(text: string): string[] {
  return text.split('\n').filter(Boolean);
}

beforeAll(async () => {
  for (const path of [CLI, AGENT]) {
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: run npm run build -w sdk`);
    }
  }
  cloud = await startLocalCloud();
  // the SDK clients of resolveTarget and checkSetup find the sandbox through the environment, as users' programs
  Object.assign(process.env, cloud.env);
  sagemaker = new SageMakerClient(
    localClientConfig(cloud.env.AWS_ENDPOINT_URL_SAGEMAKER)
  );
  logs = new CloudWatchLogsClient(
    localClientConfig(cloud.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)
  );
  ssm = new SSMClient(localClientConfig(cloud.env.AWS_ENDPOINT_URL_SSM));
  role = await createDemoRole({ url: cloud.sandbox.url }, ACCOUNT, REGION);
  owner = await sandboxCaller(cloud.sandbox);
  const s3 = new S3Client({
    ...localClientConfig(cloud.env.AWS_ENDPOINT_URL_S3),
    forcePathStyle: true
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [key, body] of [
    ['jobs/train/data.txt', 'hello from s3'],
    ['jobs/train/nested/more.txt', 'more'],
    ['jobs/processing/input.csv', 'a,b\n1,2\n']
  ]) {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body })
    );
  }
  s3.destroy();
});

afterAll(async () => {
  sagemaker?.destroy();
  logs?.destroy();
  ssm?.destroy();
  process.env = saved;
  if (!closed) {
    await cloud?.stop();
  }
});

describe('the demo execution role', () => {
  it('is in IAM as the guide sets it up: the setup check passes its trust and server items', async () => {
    expect(role).toBe(
      `arn:aws:iam::${ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-demo`
    );
    const report = await checkSetup(
      new AwsClients(REGION, async () => SANDBOX_CLIENT_CREDENTIALS),
      {
        sagemakerRoleArn: role,
        regions: [REGION]
      }
    );
    const items = report.items.filter(item =>
      ['trust', 'server'].includes(item.group)
    );
    expect(items.map(item => item.id)).toEqual(
      expect.arrayContaining([
        'trust.sagemaker',
        'trust.ssm',
        'server.pass-role'
      ])
    );
    expect(
      items
        .filter(item => item.status !== 'OK')
        .map(item => [item.id, item.reasons])
    ).toEqual([]);
    // creating it again leaves it as it is
    await expect(
      createDemoRole({ url: cloud.sandbox.url }, ACCOUNT, REGION)
    ).resolves.toBe(role);
  });
});

describe('a training job with a ContainerEntrypoint', () => {
  const name = 'job-run-two-nodes';
  let job: DescribeTrainingJobCommandOutput;
  let run: JobRun;

  beforeAll(async () => {
    const script = [
      'echo "host=$(hostname)"',
      'echo "data=$(cat /opt/ml/input/data/train/data.txt) $(cat /opt/ml/input/data/train/nested/more.txt)"',
      'echo "greeting=$GREETING job=$TRAINING_JOB_NAME arn=$TRAINING_JOB_ARN region=$AWS_REGION"',
      'echo "hyperparameters=$(cat /opt/ml/input/config/hyperparameters.json)"',
      'echo "resources=$(cat /opt/ml/input/config/resourceconfig.json)"',
      'echo "channels=$(cat /opt/ml/input/config/inputdataconfig.json)"',
      'echo "key=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY token=$AWS_SESSION_TOKEN"',
      'echo "args=$*"',
      // /opt/ml and /tmp are the node's own
      'touch "/opt/ml/model/$(hostname)" "/tmp/$(hostname)"; sleep 0.5',
      'echo "model=$(ls /opt/ml/model) tmp=$(ls /tmp | grep algo)"',
      'echo "to stderr" >&2'
    ].join('\n');
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', script, 'sh', 'one', 'two words'], {
          HyperParameters: { epochs: '3', rate: '0.1' },
          Environment: { GREETING: 'hi there' },
          ResourceConfig: {
            InstanceType: 'ml.m5.xlarge',
            InstanceCount: 2,
            VolumeSizeInGB: 30
          },
          InputDataConfig: [
            {
              ChannelName: 'train',
              ContentType: 'text/plain',
              DataSource: {
                S3DataSource: {
                  S3DataType: 'S3Prefix',
                  S3Uri: `s3://${BUCKET}/jobs/train/`,
                  S3DataDistributionType: 'FullyReplicated'
                }
              }
            }
          ]
        })
      )
    );
    run = runOf('training', name);
    job = await trainingEnds(name);
  });

  it('completes after every node exited 0, through the usual phases', async () => {
    expect(job.FailureReason).toBeUndefined();
    expect(job.TrainingJobStatus).toBe('Completed');
    expect(job.SecondaryStatus).toBe('Completed');
    expect(job.SecondaryStatusTransitions?.map(t => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed'
    ]);
    expect(job.TrainingStartTime).toBeInstanceOf(Date);
    expect(job.TrainingEndTime).toBeInstanceOf(Date);
    expect(job.TrainingEndTime!.getTime()).toBeGreaterThanOrEqual(
      job.TrainingStartTime!.getTime()
    );
    expect(run.nodes.map(node => [node.hostname, node.exit])).toEqual([
      ['algo-1', { code: 0, leftovers: [] }],
      ['algo-2', { code: 0, leftovers: [] }]
    ]);
    expect((await run.ended).status).toBe('Completed');
  });

  it('gives each node its hostname, the S3 channel, the config files, the environment and the arguments', () => {
    for (const node of run.nodes) {
      const host = node.hostname;
      const out = lines(node.output);
      expect(out).toContain(`host=${host}`);
      expect(out).toContain('data=hello from s3 more');
      expect(out).toContain(
        `greeting=hi there job=${name} arn=${job.TrainingJobArn} region=${REGION}`
      );
      expect(out).toContain('hyperparameters={"epochs":"3","rate":"0.1"}');
      const resources = out.find(line => line.startsWith('resources='));
      expect(JSON.parse(resources!.slice('resources='.length))).toEqual({
        current_host: host,
        current_instance_type: 'ml.m5.xlarge',
        current_group_name: 'homogeneousCluster',
        hosts: ['algo-1', 'algo-2'],
        instance_groups: [
          {
            instance_group_name: 'homogeneousCluster',
            instance_type: 'ml.m5.xlarge',
            hosts: ['algo-1', 'algo-2']
          }
        ],
        network_interface_name: 'eth0'
      });
      expect(out).toContain(
        'channels={"train":{"ContentType":"text/plain","TrainingInputMode":"File","S3DistributionType":"FullyReplicated","RecordWrapperType":"None"}}'
      );
      expect(out).toContain('args=one two words');
      expect(out).toContain(`model=${host} tmp=${host}`);
    }
  });

  it('runs the nodes with the execution role’s session (SageMaker’s session name)', async () => {
    const printed = lines(run.nodes[0].output).find(line =>
      line.startsWith('key=')
    );
    const [, key, secret, token] =
      /^key=(\S+) secret=(\S+) token=(\S+)$/.exec(printed ?? '') ?? [];
    expect(key).not.toBe(SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID);
    const sts = new STSClient({
      ...localClientConfig(cloud.env.AWS_ENDPOINT_URL_STS),
      credentials: {
        accessKeyId: key,
        secretAccessKey: secret,
        sessionToken: token
      }
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/AmazonSageMaker-ExecutionRole-demo/SageMaker`
    );
    expect(identity.UserId).toMatch(/^AROA[A-Z0-9]+:SageMaker$/);
  });

  it('ships each node’s output, stdout and stderr, to its log stream in order', async () => {
    for (const node of run.nodes) {
      expect(node.logStream).toMatch(
        new RegExp(`^${name}/${node.hostname}-\\d{10}$`)
      );
      expect(
        await logLines('/aws/sagemaker/TrainingJobs', name, node.hostname)
      ).toEqual(lines(node.output));
      expect(node.output).toContain('to stderr\n');
    }
    expect(run.logErrors).toEqual([]);
  });

  it('removes the nodes’ directories once the job has ended, and leaves nothing running', () => {
    expect(existsSync(run.dir)).toBe(false);
    expect(processesUsing(run.dir)).toEqual([]);
  });
});

describe('jobs that fail', () => {
  it('a processing job whose command exits 3 is Failed with the node and the exit code', async () => {
    const name = 'job-run-processing-fails';
    const script = [
      'echo "processing on $(hostname): $(cat /opt/ml/processing/input/data/input.csv | tail -n 1)"',
      'cat /opt/ml/config/processingjobconfig.json; echo',
      'cat /opt/ml/config/resourceconfig.json; echo',
      'exit 3'
    ].join('\n');
    const { ProcessingJobArn } = await sagemaker.send(
      new CreateProcessingJobCommand({
        ProcessingJobName: name,
        AppSpecification: {
          ImageUri: 'processing:latest',
          ContainerEntrypoint: ['/bin/sh', '-c', script]
        },
        RoleArn: role,
        ProcessingInputs: [
          {
            InputName: 'data',
            S3Input: {
              S3Uri: `s3://${BUCKET}/jobs/processing`,
              LocalPath: '/opt/ml/processing/input/data',
              S3DataType: 'S3Prefix',
              S3InputMode: 'File'
            }
          }
        ],
        ProcessingResources: {
          ClusterConfig: {
            InstanceCount: 1,
            InstanceType: 'ml.m5.xlarge',
            VolumeSizeInGB: 30
          }
        },
        Environment: { MODE: 'test' }
      })
    );
    const job = await eventually('the processing job to end', async () => {
      const found = await sagemaker.send(
        new DescribeProcessingJobCommand({ ProcessingJobName: name })
      );
      return found.ProcessingJobStatus === 'InProgress' ? undefined : found;
    });
    const run = runOf('processing', name);
    const stream = run.nodes[0].logStream;
    expect(job.ProcessingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe(
      `AlgorithmError: algo-1 exited with exit code 3; see log stream ${stream} in /aws/sagemaker/ProcessingJobs`
    );
    expect(job.ProcessingStartTime).toBeInstanceOf(Date);
    expect(job.ProcessingEndTime).toBeInstanceOf(Date);
    const out = lines(run.nodes[0].output);
    expect(out[0]).toBe('processing on algo-1: 1,2');
    const config = JSON.parse(out[1]);
    expect(config).toMatchObject({
      ProcessingJobArn,
      ProcessingJobName: name,
      AppSpecification: { ImageUri: 'processing:latest' },
      Environment: { MODE: 'test' },
      RoleArn: role
    });
    expect(JSON.parse(out[2])).toEqual({
      current_host: 'algo-1',
      hosts: ['algo-1']
    });
    expect(
      await logLines('/aws/sagemaker/ProcessingJobs', name, 'algo-1')
    ).toEqual(out);
  });

  it('a job whose S3 input is missing is Failed before anything runs', async () => {
    const name = 'job-run-missing-input';
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', 'echo should not run'], {
          InputDataConfig: [
            {
              ChannelName: 'train',
              DataSource: {
                S3DataSource: {
                  S3DataType: 'S3Prefix',
                  S3Uri: `s3://${BUCKET}/nothing/here/`
                }
              }
            }
          ]
        })
      )
    );
    const job = await trainingEnds(name);
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe(
      `ClientError: No S3 objects found under S3 URL "s3://${BUCKET}/nothing/here/" given in input data source. Please ensure that the bucket exists in the selected region (${REGION}), that objects exist under that S3 prefix, and that the role "${role}" has "s3:ListBucket" permissions on bucket "${BUCKET}".`
    );
    expect(job.SecondaryStatusTransitions?.map(t => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Failed'
    ]);
    expect(runOf('training', name).nodes).toEqual([]);
  });

  it('a job whose role SageMaker cannot assume is Failed with the reason', async () => {
    const name = 'job-run-no-role';
    const missing = `arn:aws:iam::${ACCOUNT}:role/service-role/NoSuchRole`;
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', 'echo should not run'], {
          RoleArn: missing
        })
      )
    );
    const job = await trainingEnds(name);
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe(
      `ClientError: Could not assume role ${missing}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.`
    );
  });

  it('a training node that fails ends the job: the other node gets SIGTERM, the reason is the failure file', async () => {
    const name = 'job-run-one-node-fails';
    const script = [
      'if [ "$(hostname)" = algo-2 ]; then',
      // after algo-1 has set its trap
      '  sleep 1; echo "bad input" > /opt/ml/output/failure; exit 2',
      'fi',
      'trap \'echo "algo-1 got SIGTERM"; kill $!; wait $! 2>/dev/null; exit 143\' TERM',
      'sleep 60 & wait $!'
    ].join('\n');
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', script], {
          ResourceConfig: {
            InstanceType: 'ml.m5.xlarge',
            InstanceCount: 2,
            VolumeSizeInGB: 30
          }
        })
      )
    );
    const job = await trainingEnds(name);
    const run = runOf('training', name);
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe(
      `AlgorithmError: bad input (algo-2 exited with exit code 2; see log stream ${run.nodes[1].logStream} in /aws/sagemaker/TrainingJobs)`
    );
    expect(run.nodes[0].output).toBe('algo-1 got SIGTERM\n');
    expect(run.nodes.map(node => node.exit?.code)).toEqual([143, 2]);
  });
});

describe('stopping and waiting jobs', () => {
  it('StopTrainingJob sends SIGTERM: Stopping until the node has exited, then Stopped', async () => {
    const name = 'job-run-stopped';
    const script = [
      'trap \'echo "got SIGTERM"; kill $!; wait $! 2>/dev/null; exit 143\' TERM',
      'echo started',
      'sleep 300 & wait $!'
    ].join('\n');
    await sagemaker.send(
      new CreateTrainingJobCommand(training(name, ['/bin/sh', '-c', script]))
    );
    const run = runOf('training', name);
    await eventually('the node to start', () =>
      run.nodes[0]?.output.includes('started') ? true : undefined
    );
    expect((await describeTraining(name)).SecondaryStatus).toBe('Training');
    await sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    expect((await describeTraining(name)).TrainingJobStatus).toMatch(
      /^(Stopping|Stopped)$/
    );
    const job = await trainingEnds(name);
    expect(job.TrainingJobStatus).toBe('Stopped');
    expect(job.SecondaryStatusTransitions?.map(t => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Stopping',
      'Stopped'
    ]);
    expect(run.nodes[0].output).toBe('started\ngot SIGTERM\n');
    expect(run.nodes[0].exit).toEqual({ code: 143, leftovers: [] });
    expect(processesUsing(run.dir)).toEqual([]);
    expect(existsSync(run.dir)).toBe(false);
  });

  it('a node that ignores SIGTERM is killed after the stop’s grace time', async () => {
    const name = 'job-run-ignores-sigterm';
    const runner = cloud.sandbox.sagemaker.jobRuns!;
    const grace = runner.stopTimeoutMs;
    expect(grace).toBe(30_000);
    runner.stopTimeoutMs = 500;
    try {
      await sagemaker.send(
        new CreateTrainingJobCommand(
          training(name, [
            '/bin/sh',
            '-c',
            "trap '' TERM; echo started; sleep 300"
          ])
        )
      );
      const run = runOf('training', name);
      await eventually('the node to start', () =>
        run.nodes[0]?.output.includes('started') ? true : undefined
      );
      const stoppedAt = Date.now();
      await sagemaker.send(
        new StopTrainingJobCommand({ TrainingJobName: name })
      );
      expect((await describeTraining(name)).TrainingJobStatus).toBe('Stopping');
      expect((await trainingEnds(name)).TrainingJobStatus).toBe('Stopped');
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(500);
      expect(run.nodes[0].exit?.code).toBeNull();
      expect(processesUsing(run.dir)).toEqual([]);
    } finally {
      runner.stopTimeoutMs = grace;
    }
  });

  it('a training job that runs past MaxRuntimeInSeconds is stopped: Stopped, MaxRuntimeExceeded', async () => {
    const name = 'job-run-max-runtime';
    const script = [
      'trap \'echo "got SIGTERM"; kill $!; wait $! 2>/dev/null; exit 143\' TERM',
      'sleep 300 & wait $!'
    ].join('\n');
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', script], {
          StoppingCondition: { MaxRuntimeInSeconds: 1 }
        })
      )
    );
    const job = await trainingEnds(name);
    expect(job.TrainingJobStatus).toBe('Stopped');
    expect(job.SecondaryStatus).toBe('MaxRuntimeExceeded');
    expect(job.SecondaryStatusTransitions?.map(t => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Stopping',
      'MaxRuntimeExceeded'
    ]);
    expect(runOf('training', name).nodes[0].output).toBe('got SIGTERM\n');
  });

  it('the control’s finish ends a running job at once: its nodes are killed', async () => {
    const name = 'job-run-finished-by-control';
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', 'echo started; sleep 300'])
      )
    );
    const run = runOf('training', name);
    await eventually('the node to start', () =>
      run.nodes[0]?.output.includes('started') ? true : undefined
    );
    cloud.sandbox.sagemaker.jobs.finish('training', name, 'Failed', {
      failureReason: 'AlgorithmError: ended by the test'
    });
    const job = await describeTraining(name);
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe('AlgorithmError: ended by the test');
    expect(await run.ended).toEqual({
      status: 'Failed',
      failureReason: 'AlgorithmError: ended by the test'
    });
    expect(run.nodes[0].exit?.code).toBeNull();
    expect(processesUsing(run.dir)).toEqual([]);
    expect((await describeTraining(name)).TrainingJobStatus).toBe('Failed');
  });

  it('a job without a ContainerEntrypoint stays InProgress, under the control’s hand', async () => {
    const name = 'job-run-no-entrypoint';
    const request = training(name, ['unused']);
    delete request.AlgorithmSpecification?.ContainerEntrypoint;
    delete request.AlgorithmSpecification?.ContainerArguments;
    await sagemaker.send(new CreateTrainingJobCommand(request));
    await new Promise(resolve => setTimeout(resolve, 500));
    const job = await describeTraining(name);
    expect(job.TrainingJobStatus).toBe('InProgress');
    expect(job.SecondaryStatus).toBe('Starting');
    expect(
      cloud.sandbox.sagemaker.jobRuns?.get('training', name)
    ).toBeUndefined();
    cloud.sandbox.sagemaker.jobs.finish('training', name, 'Completed');
    expect((await describeTraining(name)).TrainingJobStatus).toBe('Completed');
  });
});

describe('a job that runs sm-ssh-init.sh', () => {
  const name = 'job-run-ssh';
  let run: JobRun;
  let instances: string[];
  let arn: string;

  beforeAll(async () => {
    // the bootstrap in the background, as the wrapped job's entry point runs it; SIGTERM goes on to it
    const script = [
      'sh "$0" & init=$!',
      'trap \'kill -TERM "$init"; wait "$init"; exit 143\' TERM',
      'wait "$init"'
    ].join('\n');
    arn = (
      await sagemaker.send(
        new CreateTrainingJobCommand(
          training(name, ['/bin/sh', '-c', script, SCRIPT], {
            Environment: {
              SSH_OWNER_TAG: owner,
              SSH_SSM_ROLE: 'service-role/AmazonSageMaker-ExecutionRole-demo'
            },
            ResourceConfig: {
              InstanceType: 'ml.m5.xlarge',
              InstanceCount: 2,
              VolumeSizeInGB: 30
            }
          })
        )
      )
    ).TrainingJobArn as string;
    run = runOf('training', name);
    instances = await eventually(
      'both nodes registered',
      () => {
        const ids = run.nodes.map(node => REGISTERED.exec(node.output)?.[1]);
        return ids.length === 2 && ids.every(Boolean)
          ? (ids as string[])
          : undefined;
      },
      60_000
    );
    await eventually('the instances Online', () =>
      instances.every(
        id => cloud.sandbox.ssm.instances.get(id)?.pingStatus === 'Online'
      )
        ? true
        : undefined
    );
  });

  afterAll(() => {
    if (run?.nodes.some(node => node.exit?.code !== 143)) {
      for (const node of run.nodes) {
        process.stderr.write(`${node.hostname}:\n${node.output}\n`);
      }
    }
  });

  it('makes every node a managed instance tagged with the job, as the original project tags it', async () => {
    for (const [index, instanceId] of instances.entries()) {
      const { TagList } = await ssm.send(
        new ListTagsForResourceCommand({
          ResourceType: 'ManagedInstance',
          ResourceId: instanceId
        })
      );
      const tags = Object.fromEntries(
        (TagList ?? []).map(tag => [tag.Key, tag.Value])
      );
      expect(tags).toMatchObject({
        SSHOwner: owner,
        SSHCreator: expect.stringMatching(/^AROA[A-Z0-9]+:SageMaker$/),
        SSHResourceName: name,
        SSHResourceArn: arn
      });
      const instance = cloud.sandbox.ssm.instances.require(instanceId);
      expect(instance.computerName).toBe(`algo-${index + 1}`);
      expect(instance.iamRole).toBe(
        'service-role/AmazonSageMaker-ExecutionRole-demo'
      );
    }
    const resolved = await resolveTarget(
      new AwsClients(REGION, async () => SANDBOX_CLIENT_CREDENTIALS),
      `${name}.training.sagemaker`,
      { timeoutMs: 0 }
    );
    expect(resolved.nodes.map(node => node.instanceId).sort()).toEqual(
      [...instances].sort()
    );
  });

  it('is reached by name on each node with `sm-ssh exec`', async () => {
    const hosts: string[] = [];
    for (const node of ['1', '2']) {
      const result = await runCli(
        [
          'exec',
          `${name}.training.sagemaker`,
          '--node',
          node,
          '--timeout',
          '0',
          '--',
          'hostname; ls /opt/ml/input/config'
        ],
        cloud.env
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [host, ...files] = lines(result.stdout);
      expect(files).toEqual([
        'hyperparameters.json',
        'inputdataconfig.json',
        'resourceconfig.json'
      ]);
      hosts.push(host);
    }
    expect(hosts.sort()).toEqual(['algo-1', 'algo-2']);
  });

  it('logs the registration lines, which Logs Insights finds (the Logs fallback)', async () => {
    const first = await logLines('/aws/sagemaker/TrainingJobs', name, 'algo-1');
    expect(first.join('\n')).toMatch(REGISTERED);
    const answer = await queryRegistrations(
      logs,
      '/aws/sagemaker/TrainingJobs',
      `${name}/`,
      3600
    );
    expect(answer.status).toBe('Complete');
    const found = (answer.results ?? []).map(
      line => REGISTERED.exec(line[2]?.value ?? '')?.[1]
    );
    expect(found.sort()).toEqual([...instances].sort());
  });

  it('is deregistered when StopTrainingJob ends it, and nothing is left running', async () => {
    await sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    const job = await trainingEnds(name);
    expect(job.TrainingJobStatus).toBe('Stopped');
    for (const [index, instanceId] of instances.entries()) {
      expect(run.nodes[index].output).toContain(
        `sm-ssh remote: deregistered ${instanceId}`
      );
      expect(cloud.sandbox.ssm.instances.get(instanceId)).toBeUndefined();
    }
    expect(run.nodes.map(node => node.exit)).toEqual([
      { code: 143, leftovers: [] },
      { code: 143, leftovers: [] }
    ]);
    expect(processesUsing(run.dir)).toEqual([]);
  });
});

describe('the sandbox’s close', () => {
  it('stops a running job’s containers and removes their directories', async () => {
    const name = 'job-run-at-close';
    await sagemaker.send(
      new CreateTrainingJobCommand(
        training(name, ['/bin/sh', '-c', 'echo started; exec sleep 300'])
      )
    );
    const run = runOf('training', name);
    await eventually('the node to start', () =>
      run.nodes[0]?.output.includes('started') ? true : undefined
    );
    const root = cloud.sandbox.sagemaker.jobRuns?.root as string;
    closed = true;
    await cloud.stop();
    expect((await run.ended).status).toBe('Stopped');
    expect(run.nodes[0].exit?.code).toBe(143);
    expect(processesUsing(root)).toEqual([]);
    expect(existsSync(root)).toBe(false);
  });
});
