/**
 * Name → managed instance against the sandbox's demo fleet (tags as the original project writes them), its
 * SageMaker front and moto's STS: node choice, mi- ids and ARNs, the SSHOwner refusal, "no such job", "job ended",
 * waiting with backoff for an instance to come Online, and the AWS calls a lookup costs.
 */
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { AwsClients } from '../src/aws/index.js';
import { OperationError, UsageError } from '../src/errors.js';
import { resolveTarget } from '../src/resolve/index.js';
import type { ISandbox } from '../src/sandbox/index.js';
import { startDemoCloud, type IDemoCloud } from './harness/demo-cloud.js';

let cloud: IDemoCloud;
let sandbox: ISandbox;
let clients: AwsClients;
let caller: string;

const instanceOf = (name: string, node = 0) =>
  cloud.nodeOf(name, node).instanceId;

beforeAll(async () => {
  cloud = await startDemoCloud({ hosts: false });
  ({ sandbox, clients, caller } = cloud);
});

afterAll(async () => {
  await cloud?.close();
});

describe('resolveTarget on the demo fleet', () => {
  it('finds each node of the two-node training job, newest SSHTimestamp first', async () => {
    const first = await resolveTarget(
      clients,
      'ssh-training-demo.training.sagemaker'
    );
    expect(first.instance.instanceId).toBe(instanceOf('ssh-training-demo', 0));
    expect(first.nodes).toHaveLength(2);
    expect(first.node).toBe(1);
    expect(first.callerUserId).toBe(caller);
    expect(first.instance.owner).toBe(caller);
    const second = await resolveTarget(
      clients,
      'ssh-training-demo.training.sagemaker',
      { node: 2 }
    );
    expect(second.instance.instanceId).toBe(instanceOf('ssh-training-demo', 1));
    await expect(
      resolveTarget(clients, 'ssh-training-demo.training.sagemaker', {
        node: 3
      })
    ).rejects.toThrow(/has 2 nodes, so there is no node 3/);
  });

  it('resolves processing, transform, notebook and Studio names, an ARN and an mi- id', async () => {
    for (const [text, name] of [
      ['ssh-processing-demo.processing.sagemaker', 'ssh-processing-demo'],
      ['ssh-transform-demo.transform.sagemaker', 'ssh-transform-demo'],
      ['ssh-notebook-demo.notebook.sagemaker', 'ssh-notebook-demo'],
      [
        'datascience-1-0-ml-t3-medium-demo.studio.sagemaker',
        'datascience-1-0-ml-t3-medium-demo'
      ]
    ]) {
      const resolved = await resolveTarget(clients, text);
      expect(resolved.instance.instanceId).toBe(instanceOf(name));
      expect(resolved.instance.pingStatus).toBe('Online');
    }
    const arn = cloud.fleet.instances.find(
      i => i.name === 'ssh-processing-demo'
    )?.resourceArn as string;
    expect((await resolveTarget(clients, arn)).instance.instanceId).toBe(
      instanceOf('ssh-processing-demo')
    );
    const id = instanceOf('ssh-notebook-demo');
    expect((await resolveTarget(clients, id)).instance.instanceId).toBe(id);
  });

  it('finds the untagged endpoint instance through the registration line in its log group', async () => {
    const resolved = await resolveTarget(
      clients,
      'ssh-endpoint-demo.inference.sagemaker'
    );
    expect(resolved.instance.instanceId).toBe(instanceOf('ssh-endpoint-demo'));
    expect(resolved.instance.owner).toBeUndefined();
    expect(resolved.resource?.status).toBe('InService');
  });

  it("refuses another user's instance before any session, unless --any-owner", async () => {
    const refused = resolveTarget(
      clients,
      'bob-training-job.training.sagemaker'
    );
    await expect(refused).rejects.toBeInstanceOf(OperationError);
    await expect(refused).rejects.toThrow(
      /belongs to AROAEXAMPLEOTHER:bob, not to you/
    );
    const allowed = await resolveTarget(
      clients,
      'bob-training-job.training.sagemaker',
      { anyOwner: true }
    );
    expect(allowed.instance.owner).toBe('AROAEXAMPLEOTHER:bob');
  });

  it('tells a missing job, a malformed name and an unknown instance apart, as bad input', async () => {
    for (const [text, message] of [
      [
        'no-such-job.training.sagemaker',
        /there is no training job no-such-job in us-east-1/
      ],
      ['bad_name.training.sagemaker', /is not a SageMaker name/],
      ['mi-00000000000000000', /no managed instance mi-00000000000000000/]
    ]) {
      const error = await resolveTarget(clients, text as string, {
        timeoutMs: 0
      }).catch(e => e);
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(message);
    }
  });

  it('says a job that has ended has no target, and waits for a running one until its timeout', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
    };
    // a job that runs but whose container has not registered yet: waits with exponential backoff, then gives up
    const started = Date.now();
    await clients.sagemaker().send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'late-job',
        RoleArn: 'arn:aws:iam::123456789012:role/job',
        AlgorithmSpecification: {
          TrainingImage: 'image:latest',
          TrainingInputMode: 'File'
        },
        OutputDataConfig: { S3OutputPath: 's3://bucket/out' },
        ResourceConfig: {
          InstanceType: 'ml.m5.xlarge',
          InstanceCount: 1,
          VolumeSizeInGB: 10
        },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 }
      })
    );
    const waiting = await resolveTarget(
      clients,
      'late-job.training.sagemaker',
      { timeoutMs: 20_000, sleep }
    ).catch(e => e);
    expect(waiting).toBeInstanceOf(OperationError);
    expect(waiting.message).toMatch(
      /training job late-job is InProgress; its instance has not registered with SSM yet/
    );
    expect(sleeps.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Date.now() - started).toBeLessThan(15_000);
    sandbox.sagemaker.jobs.finish('training', 'late-job', 'Completed');
    const ended = await resolveTarget(
      clients,
      'late-job.training.sagemaker'
    ).catch(e => e);
    expect(ended).toBeInstanceOf(OperationError);
    expect(ended.message).toMatch(
      /training job late-job is Completed: its SSH target is gone/
    );
  });

  it('waits for an instance that lost its connection to come back Online', async () => {
    const id = instanceOf('ssh-transform-demo');
    sandbox.ssm.instances.setPingStatus(id, 'ConnectionLost');
    const reasons: string[] = [];
    const resolved = await resolveTarget(
      clients,
      'ssh-transform-demo.transform.sagemaker',
      {
        onWait: progress => reasons.push(progress.reason),
        sleep: async () => sandbox.ssm.instances.setPingStatus(id, 'Online')
      }
    );
    expect(reasons).toEqual([
      `${id} is ConnectionLost, waiting for it to come Online`
    ]);
    expect(resolved.instance.pingStatus).toBe('Online');
  });
});
