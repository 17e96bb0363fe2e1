/**
 * Jobs launched with SSH, end to end (issue 8's proof): the built CLI as real processes against the sandbox, which
 * really runs the jobs it is asked to create, and moto (IAM, STS, S3, Logs). `job start --connect --node 2` on a
 * two-node training job reaches node 2; `job release` ends the wait on both nodes and the job's own command runs
 * and completes; `list --json` shows the job waiting, then running or finished; a processing job with SSH becomes a
 * target and completes after its release; a job role without the server policy is refused before anything is
 * uploaded or created; `job wrap` prints a request the real SageMaker client creates; bad input is exit 2 with no
 * AWS call.
 */
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client
} from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  StopTrainingJobCommand,
  type CreateProcessingJobCommandInput,
  type CreateTrainingJobCommandInput
} from '@aws-sdk/client-sagemaker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  IReleaseReport,
  IStartedJob,
  IWrappedJob
} from '../src/jobs/types.js';
import type { ITargetSummary } from '../src/resolve/index.js';
import { createDemoRole, sandboxCaller } from '../src/sandbox/index.js';
import {
  localClientConfig,
  runCli,
  SAGEMAKER_TRUST,
  startLocalCloud,
  type ICliResult,
  type ILocalCloud
} from './harness/cloud.js';
import { eventually } from './harness/eventually.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET = `sagemaker-${REGION}-${ACCOUNT}`;
const IMAGE = `763104351884.dkr.ecr.${REGION}.amazonaws.com/pytorch-training:2.1.0-cpu-py310`;

let cloud: ILocalCloud;
let env: Record<string, string>;
let scratch: string;
let role: string;
let caller: string;
let sagemaker: SageMakerClient;
let logs: CloudWatchLogsClient;
let s3: S3Client;
let iam: IAMClient;

const sm = (args: string[], input?: string): Promise<ICliResult> =>
  runCli(args, env, input);

/** Writes a request file into the scratch directory. */
function requestFile(name: string, request: object): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify(request, null, 2));
  return path;
}

function training(
  name: string,
  script: string,
  more: Partial<CreateTrainingJobCommandInput> = {}
): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    RoleArn: role,
    AlgorithmSpecification: {
      TrainingImage: IMAGE,
      TrainingInputMode: 'File',
      ContainerEntrypoint: ['/bin/sh', '-c', script]
    },
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/${name}/output` },
    ResourceConfig: {
      InstanceType: 'ml.m5.xlarge',
      InstanceCount: 1,
      VolumeSizeInGB: 30
    },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    Environment: { JOB_GREETING: 'hello' },
    ...more
  };
}

function processing(
  name: string,
  script: string
): CreateProcessingJobCommandInput {
  return {
    ProcessingJobName: name,
    RoleArn: role,
    AppSpecification: {
      ImageUri: IMAGE,
      ContainerEntrypoint: ['/bin/sh', '-c', script]
    },
    ProcessingResources: {
      ClusterConfig: {
        InstanceCount: 1,
        InstanceType: 'ml.m5.xlarge',
        VolumeSizeInGB: 30
      }
    },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 }
  };
}

async function trainingStatus(name: string) {
  return sagemaker.send(
    new DescribeTrainingJobCommand({ TrainingJobName: name })
  );
}

/** The messages a job's nodes wrote to its log group, oldest first. */
async function jobLog(
  group: string,
  job: string
): Promise<Array<{ stream: string; message: string }>> {
  const events: Array<{ stream: string; message: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        logStreamNamePrefix: `${job}/`,
        nextToken
      })
    );
    events.push(
      ...(page.events ?? []).map(event => ({
        stream: event.logStreamName ?? '',
        message: event.message ?? ''
      }))
    );
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function listed(name: string): Promise<ITargetSummary | undefined> {
  const result = await sm(['list', '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as ITargetSummary[]).find(
    entry => entry.target === name
  );
}

/** The calls the sandbox saw since the last reset, then a reset. */
function takeCalls(): Record<string, number> {
  const counts = cloud.sandbox.calls.snapshot();
  cloud.sandbox.calls.reset();
  return counts;
}

/** What an SSM agent calls on its own (a job's node that is still stopping polls until it has stopped). */
const AGENT_CALL = /^(EC2Messages\.|SSM\.UpdateInstanceInformation$)/;

/** The calls of clients only: the sandbox's counts without the agents' own. */
function clientCalls(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(takeCalls()).filter(
      ([operation]) => !AGENT_CALL.test(operation)
    )
  );
}

/** The first line of stderr that is not progress. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(line => line.startsWith('sm-ssh: ') || line.startsWith('  hint: '));
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-jobs-'));
  env = {
    ...cloud.env,
    HOME: scratch,
    SM_SSH_CONFIG_DIR: join(scratch, 'config')
  };
  sagemaker = new SageMakerClient(
    localClientConfig(cloud.env.AWS_ENDPOINT_URL_SAGEMAKER)
  );
  logs = new CloudWatchLogsClient(
    localClientConfig(cloud.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS)
  );
  s3 = new S3Client({
    ...localClientConfig(cloud.env.AWS_ENDPOINT_URL_S3),
    forcePathStyle: true
  });
  iam = new IAMClient(localClientConfig(cloud.env.AWS_ENDPOINT_URL_IAM));
  role = await createDemoRole({ url: cloud.sandbox.url }, ACCOUNT, REGION);
  caller = await sandboxCaller(cloud.sandbox);
}, 120_000);

afterAll(async () => {
  for (const client of [sagemaker, logs, s3, iam]) {
    client?.destroy();
  }
  await cloud?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a two-node training job with SSH', () => {
  const name = 'jobs-two-nodes';
  const target = `${name}.training.sagemaker`;
  // the job's own command: what it prints goes to the job's log, one line per node
  const script =
    'echo "own-command on $(hostname) greeting=$JOB_GREETING"; sleep 8; echo "own-command done on $(hostname)"';
  let node1 = '';
  let shell: string[] = [];

  it('job start --connect --node 2 waits until both nodes are Online, then the shell from the pipe runs on node 2', async () => {
    const file = requestFile(
      name,
      training(name, script, {
        ResourceConfig: {
          InstanceType: 'ml.m5.xlarge',
          InstanceCount: 2,
          VolumeSizeInGB: 30
        }
      })
    );
    const started = Date.now();
    const result = await sm(
      ['job', 'start', '--kind', 'training', file, '--connect', '--node', '2'],
      'hostname; echo "wait=$SM_SSH_WAIT_SECONDS"\n'
    );
    const seconds = (Date.now() - started) / 1000;
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining(
        `end the wait with  sm-ssh job release ${target}`
      )
    });
    // progress went to stderr, step by step
    for (const step of [
      'checking',
      `creating the training job ${name}`,
      `${target} is Online`
    ]) {
      expect(result.stderr).toContain(step);
    }
    shell = result.stdout.split('\n').filter(Boolean);
    const lines = shell;
    // nodes are numbered in host-name order: node 2 is algo-2
    expect(lines[0]).toBe('algo-2');
    const other = await sm(['exec', target, '--node', '1', '--', 'hostname']);
    expect(other.code).toBe(0);
    node1 = other.stdout.trim();
    expect(node1).toBe('algo-1');
    process.stdout.write(
      `job start --connect --node 2: ${seconds.toFixed(1)} s\n`
    );
  }, 240_000);

  it("the shell on the job's node sees the job's environment", () => {
    expect(shell[1]).toBe('wait=600');
  });

  it('list --json shows it waiting, with when the wait ends, in one query per log group', async () => {
    takeCalls();
    const entry = await listed(target);
    const calls = takeCalls();
    expect(entry).toMatchObject({
      kind: 'training',
      status: 'InProgress',
      nodes: 2,
      owner: caller,
      job: { phase: 'waiting', waitSeconds: 600, sshNodes: 2 }
    });
    const endsIn = (entry?.job?.waitEndsAt ?? 0) - Date.now() / 1000;
    expect(endsIn).toBeGreaterThan(400);
    expect(endsIn).toBeLessThanOrEqual(600);
    expect(calls['CloudWatchLogs.StartQuery']).toBe(1);
    expect(calls['SageMaker.DescribeTrainingJob']).toBe(1);
    process.stdout.write(
      `calls of one list with the job: ${JSON.stringify(calls)}\n`
    );
    const table = await sm(['list']);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${target.replace(/\./g, '\\.')}\\s+training\\s+InProgress/waiting\\s+Online\\s+2\\s`,
        'm'
      )
    );
  }, 60_000);

  it('job release ends the wait on both nodes; the job runs its own command and completes', async () => {
    const before = await jobLog('/aws/sagemaker/TrainingJobs', name);
    expect(before.map(event => event.message).join('\n')).not.toContain(
      'own-command on'
    );
    takeCalls();
    const released = await sm(['job', 'release', target, '--json']);
    const calls = takeCalls();
    expect(released.code).toBe(0);
    const report = JSON.parse(released.stdout) as IReleaseReport;
    expect(report.target).toBe(target);
    expect(report.nodes.map(node => [node.node, node.result]).sort()).toEqual([
      [1, 'released'],
      [2, 'released']
    ]);
    expect(calls['SSM.SendCommand']).toBe(1);
    process.stdout.write(`calls of one release: ${JSON.stringify(calls)}\n`);

    // a second release finds both released already
    const again = await sm(['job', 'release', target]);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/ node 1 \(mi-[0-9a-f]{17}\): already-released$/),
      expect.stringMatching(/ node 2 \(mi-[0-9a-f]{17}\): already-released$/)
    ]);

    // while its own command runs the listing says so
    const phases = new Set<string>();
    await eventually(
      'the job to be running or finished in the listing',
      async () => {
        const entry = await listed(target);
        const phase = entry?.job?.phase ?? 'gone';
        phases.add(phase);
        return phase === 'waiting' ? undefined : phase;
      },
      30_000,
      500
    );
    expect([...phases].filter(phase => phase !== 'waiting')).toEqual([
      expect.stringMatching(/^(running|finished|gone)$/)
    ]);
    expect(phases.has('running') || phases.has('finished')).toBe(true);
    process.stdout.write(
      `phases listed after the release: ${[...phases].join(', ')}\n`
    );

    const done = await eventually(
      `${name} to complete`,
      async () => {
        const job = await trainingStatus(name);
        return job.TrainingJobStatus === 'InProgress' ? undefined : job;
      },
      120_000,
      500
    );
    expect(done.TrainingJobStatus).toBe('Completed');
    const messages = (await jobLog('/aws/sagemaker/TrainingJobs', name)).map(
      event => event.message
    );
    for (const host of ['algo-1', 'algo-2']) {
      expect(messages).toContain(`own-command on ${host} greeting=hello`);
      expect(messages).toContain(`own-command done on ${host}`);
    }
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sm-ssh-job: released after \d+ s$/),
        expect.stringMatching(/^sm-ssh-job: .* exited with 0$/)
      ])
    );
  }, 240_000);
});

describe('a processing job with SSH', () => {
  const name = 'jobs-processing';
  const target = `${name}.processing.sagemaker`;

  it('becomes a target, and completes after its release', async () => {
    const file = requestFile(
      name,
      processing(name, 'echo "processing own-command on $(hostname)"')
    );
    takeCalls();
    const started = await sm(['job', 'start', file, '--json', '--wait', '300']);
    const calls = takeCalls();
    // the container's own calls (its activation) count too
    process.stdout.write(
      `calls of one job start (processing, 1 node): ${JSON.stringify(calls)}\n`
    );
    expect(started.code).toBe(0);
    expect(calls['SageMaker.CreateProcessingJob']).toBe(1);
    const job = JSON.parse(started.stdout) as IStartedJob;
    expect(job).toMatchObject({
      kind: 'processing',
      jobName: name,
      target,
      owner: caller,
      nodes: 1,
      sshNodes: 1,
      waitSeconds: 300,
      connect: `sm-ssh connect ${target}`,
      release: `sm-ssh job release ${target}`
    });
    expect(job.instances).toEqual([expect.stringMatching(/^mi-[0-9a-f]{17}$/)]);
    const exec = await sm(['exec', target, '--', 'hostname']);
    expect(exec.stdout.trim()).toBe('algo-1');
    expect(await listed(target)).toMatchObject({
      job: { phase: 'waiting', waitSeconds: 300, sshNodes: 1 }
    });
    const released = await sm(['job', 'release', target]);
    expect(released.code).toBe(0);
    expect(released.stdout.trim()).toBe(
      `${target} node 1 (${job.instances[0]}): released`
    );
    const done = await eventually(
      `${name} to complete`,
      async () => {
        const answer = await sagemaker.send(
          new DescribeProcessingJobCommand({ ProcessingJobName: name })
        );
        return answer.ProcessingJobStatus === 'InProgress' ? undefined : answer;
      },
      120_000,
      500
    );
    expect(done.ProcessingJobStatus).toBe('Completed');
    const messages = (await jobLog('/aws/sagemaker/ProcessingJobs', name)).map(
      event => event.message
    );
    expect(messages).toContain('processing own-command on algo-1');
  }, 240_000);
});

describe('the job role check', () => {
  let bare: string;

  beforeAll(async () => {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'JobsTest-NoServerPolicy',
        Path: '/service-role/',
        AssumeRolePolicyDocument: JSON.stringify(SAGEMAKER_TRUST)
      })
    );
    bare = Role?.Arn as string;
  });

  it('refuses a role without the server policy before anything is uploaded or created, naming what is missing and the fix', async () => {
    const name = 'jobs-refused';
    const file = requestFile(
      name,
      training(name, 'echo never', { RoleArn: bare })
    );
    takeCalls();
    const result = await sm(['job', 'start', file]);
    const calls = takeCalls();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [error, hint, ...rest] = errorLines(result.stderr);
    process.stdout.write(`the refusal:\n${result.stderr}`);
    expect(rest).toEqual([]);
    expect(error).toMatch(
      new RegExp(`^sm-ssh: error: the job role ${bare} lacks what SSH needs: `)
    );
    // the trust of SSM and the server policy's grants, by the checker's titles
    expect(error).toMatch(/ssm\.amazonaws\.com|SSM/);
    expect(error).toMatch(/ssm:CreateActivation|activation|register/i);
    expect(hint).toBe(
      `  hint: sm-ssh setup apply --sagemaker-role ${bare} grants it (sm-ssh setup check --sagemaker-role ${bare} shows why)`
    );
    expect(calls['SageMaker.CreateTrainingJob']).toBeUndefined();
    expect(
      Object.keys(calls).filter(key => key.startsWith('SageMaker.'))
    ).toEqual([]);
    // nothing of this job in S3 (the bucket may not even exist yet)
    const objects = await s3
      .send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: `sm-ssh/jobs/${name}/`
        })
      )
      .catch((error: Error) => {
        expect(error.name).toBe('NoSuchBucket');
        return { KeyCount: 0 };
      });
    expect(objects.KeyCount ?? 0).toBe(0);
    await expect(
      sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }))
    ).rejects.toThrow(/not found|does not exist/i);
  }, 60_000);

  it('passes once `setup apply --sagemaker-role` has fixed the role, as the hint says', async () => {
    const applied = await sm(['setup', 'apply', '--sagemaker-role', bare]);
    expect(applied.code).toBe(0);
    const name = 'jobs-after-apply';
    const file = requestFile(
      name,
      training(name, 'echo applied', { RoleArn: bare })
    );
    const result = await sm(['job', 'start', file, '--no-wait', '--wait', '0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `connect:       sm-ssh connect ${name}.training.sagemaker\nend the wait:  sm-ssh job release ${name}.training.sagemaker\n`
    );
    expect((await trainingStatus(name)).TrainingJobStatus).toBeDefined();
  }, 120_000);
});

describe('a job that ends while job start waits for it', () => {
  it("is exit 1 with SageMaker's FailureReason", async () => {
    const name = 'jobs-unassumable';
    const missing = `arn:aws:iam::${ACCOUNT}:role/service-role/JobsTest-DoesNotExist`;
    const file = requestFile(
      name,
      training(name, 'echo never', { RoleArn: missing })
    );
    // --no-check: the role check would refuse it before SageMaker could
    const result = await sm(['job', 'start', file, '--no-check']);
    expect(result.code).toBe(1);
    const [error, hint] = errorLines(result.stderr);
    expect(error).toBe(
      `sm-ssh: error: the training job ${name} ended Failed before its SSH nodes came Online: ClientError: Could not assume role ${missing}. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.`
    );
    expect(hint).toBe(
      `  hint: fix what the reason names and start it again under a new name; what its nodes printed, if they ran, is in /aws/sagemaker/TrainingJobs, streams ${name}/…`
    );
  }, 120_000);
});

describe('job wrap', () => {
  it('prints a request the real SageMaker client creates, and --json is the IWrappedJob without file bodies', async () => {
    const name = 'jobs-wrapped';
    const original = training(name, 'echo wrapped');
    const file = requestFile(name, original);
    const printed = await sm(['job', 'wrap', '--kind', 'training', file]);
    expect(printed.code).toBe(0);
    // without --upload, stderr says what to upload and where
    expect(printed.stderr).toMatch(
      new RegExp(
        `^sm-ssh job wrap: before creating the job, upload \\S+/remote/sm-ssh-job\\.sh to s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/sm-ssh-job\\.sh and \\S+/remote/sm-ssh-init\\.sh to s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/sm-ssh-init\\.sh \\(or pass --upload\\)\\n$`
      )
    );
    const request = JSON.parse(printed.stdout) as CreateTrainingJobCommandInput;
    expect(printed.stdout).toBe(`${JSON.stringify(request, null, 2)}\n`);
    expect(request.AlgorithmSpecification?.ContainerEntrypoint).toEqual([
      '/bin/sh',
      '/opt/ml/input/data/sm-ssh/sm-ssh-job.sh'
    ]);
    expect(request.Environment).toMatchObject({
      JOB_GREETING: 'hello',
      SSH_OWNER_TAG: caller,
      SM_SSH_WAIT_SECONDS: '600',
      SM_SSH_NODES: '1'
    });

    const json = await sm([
      'job',
      'wrap',
      file,
      '--json',
      '--upload',
      '--wait',
      '0'
    ]);
    expect(json.code).toBe(0);
    const wrapped = JSON.parse(json.stdout) as Omit<
      IWrappedJob<CreateTrainingJobCommandInput>,
      'uploads'
    > & { uploads: Array<Record<string, unknown>> };
    expect(Object.keys(wrapped).sort()).toEqual(
      [
        'kind',
        'jobName',
        'target',
        'bundleUri',
        'bundlePath',
        'command',
        'nodes',
        'sshNodes',
        'waitSeconds',
        'uploads',
        'request'
      ].sort()
    );
    expect(wrapped).toMatchObject({
      kind: 'training',
      jobName: name,
      target: `${name}.training.sagemaker`,
      bundleUri: `s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/`,
      bundlePath: '/opt/ml/input/data/sm-ssh',
      command: ['/bin/sh', '-c', 'echo wrapped'],
      nodes: 1,
      sshNodes: 1,
      waitSeconds: 0
    });
    expect(wrapped.uploads).toEqual([
      {
        s3Uri: `s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/sm-ssh-job.sh`,
        bytes: expect.any(Number),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/)
      },
      {
        s3Uri: `s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/sm-ssh-init.sh`,
        bytes: expect.any(Number),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/)
      }
    ]);
    // --upload put them there, with their SHA-256
    for (const upload of wrapped.uploads) {
      const key = String(upload.s3Uri).slice(`s3://${BUCKET}/`.length);
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: key })
      );
      expect(head.ContentLength).toBe(upload.bytes);
      expect(head.Metadata?.sha256).toBe(upload.sha256);
    }
    // a second upload of the same files is skipped
    const again = await sm(['job', 'wrap', file, '--upload', '--wait', '0']);
    expect(again.stderr).toBe(
      `sm-ssh job wrap: the bundle is already in s3://${BUCKET}/sm-ssh/jobs/${name}/sm-ssh/\n`
    );

    const created = await sagemaker.send(
      new CreateTrainingJobCommand(wrapped.request)
    );
    expect(created.TrainingJobArn).toBe(
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name}`
    );
    const described = await trainingStatus(name);
    expect(described.AlgorithmSpecification?.ContainerEntrypoint).toEqual(
      wrapped.request.AlgorithmSpecification?.ContainerEntrypoint
    );
    expect(described.Environment).toEqual(wrapped.request.Environment);
    await sagemaker
      .send(new StopTrainingJobCommand({ TrainingJobName: name }))
      .catch(() => undefined);
  }, 120_000);
});

describe('bad input', () => {
  it('is exit 2 with one line and a hint, and no AWS call', async () => {
    const good = requestFile('jobs-bad', training('jobs-bad', 'true'));
    const notJson = join(scratch, 'not.json');
    writeFileSync(notJson, '{"TrainingJobName": ');
    const neither = requestFile('neither', { RoleArn: role });
    const cases: Array<[string[], RegExp, string?]> = [
      [
        ['job', 'start', join(scratch, 'missing.json')],
        /cannot read the request .*missing\.json: ENOENT/
      ],
      [['job', 'wrap', scratch], /cannot read the request .*: EISDIR/],
      [['job', 'start', notJson], /not\.json is not JSON: /],
      [
        ['job', 'wrap', '-'],
        /the request on stdin is not a JSON object/,
        '[1, 2]'
      ],
      [
        ['job', 'start', neither],
        /has neither or both of TrainingJobName and ProcessingJobName/
      ],
      [
        ['job', 'start', '--kind', 'processing', good],
        /--kind processing, but the request is a training job's/
      ],
      [
        ['job', 'start', '--kind', 'inference', good],
        /argument 'inference' is invalid\. Allowed choices are training, processing/
      ],
      [
        ['job', 'start', good, '--wait', '-5'],
        /--wait "-5" is not a whole number from 0 to 432000/
      ],
      [
        ['job', 'start', good, '--wait', '700000'],
        /--wait "700000" is not a whole number from 0 to 432000/
      ],
      [
        ['job', 'wrap', good, '--ssh-nodes', '0'],
        /--ssh-nodes "0" is not a whole number from 1/
      ],
      [
        ['job', 'start', good, '--timeout', 'soon'],
        /--timeout "soon" is not a whole number/
      ],
      [
        ['job', 'start', good, '--connect', '--node', 'two'],
        /--node "two" is not a whole number from 1/
      ],
      [
        ['job', 'start', good, '--node', '2'],
        /--node only means something with --connect/
      ],
      [
        ['job', 'start', good, '--connect', '--no-wait'],
        /--connect cannot go with --no-wait/
      ],
      [
        ['job', 'start', good, '--connect', '--json'],
        /--connect cannot go with --json/
      ],
      [
        ['job', 'wrap', good, '--image-entrypoint', 'python'],
        /--image-entrypoint python is not a JSON array of strings/
      ],
      [['job', 'release', 'not a target'], /./],
      [
        ['job', 'release', 'x.training.sagemaker', '--node', '0'],
        /--node "0" is not a whole number from 1/
      ]
    ];
    takeCalls();
    for (const [args, message, input] of cases) {
      const result = await sm(args, input);
      const lines = errorLines(result.stderr);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({
        args,
        code: 2,
        stdout: ''
      });
      expect(lines[0]).toMatch(/^sm-ssh: error: /);
      expect(lines[0]).toMatch(message);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(result.stderr.split('\n').filter(Boolean)).toEqual(lines);
    }
    expect(clientCalls()).toEqual({});
  }, 120_000);
});
