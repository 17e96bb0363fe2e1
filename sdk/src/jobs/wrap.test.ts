/**
 * `withSsh` field by field: a rich training request and a rich processing request come back with every field of the
 * original deep-equal except exactly the documented changes (found by walking every leaf of both, so a field the wrap
 * drops or changes by mistake cannot slip through), the caller's (deep-frozen) object untouched, and the original
 * command recoverable from ContainerArguments. Then every refusal: one line and a hint, exit code 2.
 */
import type {
  CreateProcessingJobRequest,
  CreateTrainingJobRequest
} from '@aws-sdk/client-sagemaker';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { refusal } from '../../test/harness/refusals.js';
import { jobBundle, parseS3Uri } from './bundle.js';
import { JOB_ENV, type IJobSshOptions } from './types.js';
import { clonePlain, jobKindOf, withSsh } from './wrap.js';

const ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
const OPTIONS: IJobSshOptions = {
  owner: 'AIDAEXAMPLEOWNER1234',
  bundleUri: 's3://sagemaker-us-east-1-123456789012/sm-ssh/jobs',
  waitSeconds: 900,
  sshNodes: 2
};
const remote = (name: string) =>
  readFileSync(
    fileURLToPath(new URL(`../../remote/${name}`, import.meta.url)),
    'utf8'
  );

const TRAINING: CreateTrainingJobRequest = {
  TrainingJobName: 'ssh-train-rich-1',
  HyperParameters: {
    epochs: '3',
    'learning-rate': '0.001',
    sagemaker_program: 'train.py',
    sagemaker_submit_directory:
      '"s3://sagemaker-us-east-1-123456789012/code/sourcedir.tar.gz"'
  },
  AlgorithmSpecification: {
    TrainingImage:
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-cpu-py311',
    TrainingInputMode: 'File',
    MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.]+)' }],
    EnableSageMakerMetricsTimeSeries: true,
    ContainerEntrypoint: ['python3', '-u'],
    ContainerArguments: ['/opt/ml/code/train.py', '--data', "it's a path"],
    TrainingImageConfig: { TrainingRepositoryAccessMode: 'Platform' }
  },
  RoleArn: ROLE,
  InputDataConfig: [
    {
      ChannelName: 'train',
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix',
          S3Uri: 's3://my-data/train/',
          S3DataDistributionType: 'ShardedByS3Key',
          AttributeNames: ['a', 'b']
        }
      },
      ContentType: 'text/csv',
      CompressionType: 'None',
      InputMode: 'File'
    },
    {
      ChannelName: 'stream',
      DataSource: {
        S3DataSource: {
          S3DataType: 'ManifestFile',
          S3Uri: 's3://my-data/manifest.json',
          S3DataDistributionType: 'FullyReplicated'
        }
      },
      RecordWrapperType: 'RecordIO',
      InputMode: 'Pipe',
      ShuffleConfig: { Seed: 42 }
    },
    {
      ChannelName: 'fs',
      DataSource: {
        FileSystemDataSource: {
          FileSystemId: 'fs-0123456789abcdef0',
          FileSystemAccessMode: 'ro',
          FileSystemType: 'EFS',
          DirectoryPath: '/data'
        }
      }
    }
  ],
  OutputDataConfig: {
    S3OutputPath: 's3://my-data/output/',
    KmsKeyId: 'alias/my-key',
    CompressionType: 'GZIP'
  },
  ResourceConfig: {
    InstanceType: 'ml.m5.xlarge',
    InstanceCount: 3,
    VolumeSizeInGB: 50,
    VolumeKmsKeyId: 'alias/vol-key',
    KeepAlivePeriodInSeconds: 600
  },
  VpcConfig: {
    SecurityGroupIds: ['sg-0123456789abcdef0'],
    Subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210']
  },
  StoppingCondition: {
    MaxRuntimeInSeconds: 86400,
    MaxWaitTimeInSeconds: 172800,
    MaxPendingTimeInSeconds: 7200
  },
  Tags: [
    { Key: 'team', Value: 'ml' },
    { Key: 'cost-center', Value: '42' }
  ],
  EnableNetworkIsolation: false,
  EnableInterContainerTrafficEncryption: true,
  EnableManagedSpotTraining: true,
  CheckpointConfig: {
    S3Uri: 's3://my-data/checkpoints/',
    LocalPath: '/opt/ml/checkpoints'
  },
  DebugHookConfig: {
    LocalPath: '/opt/ml/output/tensors',
    S3OutputPath: 's3://my-data/debug/',
    HookParameters: { save_interval: '100' },
    CollectionConfigurations: [
      {
        CollectionName: 'losses',
        CollectionParameters: { save_interval: '10' }
      }
    ]
  },
  DebugRuleConfigurations: [
    {
      RuleConfigurationName: 'LossNotDecreasing',
      RuleEvaluatorImage:
        '503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest',
      InstanceType: 'ml.t3.medium',
      VolumeSizeInGB: 0,
      RuleParameters: { rule_to_invoke: 'LossNotDecreasing' }
    }
  ],
  TensorBoardOutputConfig: {
    LocalPath: '/opt/ml/output/tensorboard',
    S3OutputPath: 's3://my-data/tensorboard/'
  },
  ExperimentConfig: {
    ExperimentName: 'exp',
    TrialName: 'trial',
    TrialComponentDisplayName: 'tc',
    RunName: 'run-1'
  },
  ProfilerConfig: {
    S3OutputPath: 's3://my-data/profiler/',
    ProfilingIntervalInMilliseconds: 500,
    ProfilingParameters: { DataloaderProfilingConfig: '{"StartStep": 5}' },
    DisableProfiler: false
  },
  ProfilerRuleConfigurations: [
    {
      RuleConfigurationName: 'ProfilerReport',
      RuleEvaluatorImage:
        '503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest',
      RuleParameters: { rule_to_invoke: 'ProfilerReport' }
    }
  ],
  Environment: { MY_FLAG: '1', PYTHONUNBUFFERED: 'TRUE', EMPTY: '' },
  RetryStrategy: { MaximumRetryAttempts: 2 },
  RemoteDebugConfig: { EnableRemoteDebug: false },
  InfraCheckConfig: { EnableInfraCheck: true },
  SessionChainingConfig: { EnableSessionTagChaining: true }
};

const PROCESSING: CreateProcessingJobRequest = {
  ProcessingJobName: 'ssh-process-rich-1',
  ProcessingInputs: [
    {
      InputName: 'code',
      S3Input: {
        S3Uri: 's3://my-data/code/preprocess.py',
        LocalPath: '/opt/ml/processing/input/code',
        S3DataType: 'S3Prefix',
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated',
        S3CompressionType: 'None'
      }
    },
    {
      InputName: 'raw',
      S3Input: {
        S3Uri: 's3://my-data/raw/',
        LocalPath: '/opt/ml/processing/input/raw',
        S3DataType: 'S3Prefix',
        S3InputMode: 'Pipe',
        S3DataDistributionType: 'ShardedByS3Key'
      }
    },
    {
      InputName: 'athena',
      AppManaged: false,
      DatasetDefinition: {
        AthenaDatasetDefinition: {
          Catalog: 'AwsDataCatalog',
          Database: 'db',
          QueryString: 'SELECT * FROM t',
          OutputS3Uri: 's3://my-data/athena/',
          OutputFormat: 'PARQUET'
        },
        LocalPath: '/opt/ml/processing/input/athena',
        DataDistributionType: 'FullyReplicated',
        InputMode: 'File'
      }
    }
  ],
  ProcessingOutputConfig: {
    Outputs: [
      {
        OutputName: 'train',
        S3Output: {
          S3Uri: 's3://my-data/processed/train/',
          LocalPath: '/opt/ml/processing/output/train',
          S3UploadMode: 'EndOfJob'
        },
        AppManaged: false
      }
    ],
    KmsKeyId: 'alias/out-key'
  },
  ProcessingResources: {
    ClusterConfig: {
      InstanceCount: 2,
      InstanceType: 'ml.m5.xlarge',
      VolumeSizeInGB: 30,
      VolumeKmsKeyId: 'alias/vol-key'
    }
  },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  AppSpecification: {
    ImageUri:
      '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
    ContainerEntrypoint: [
      'python3',
      '/opt/ml/processing/input/code/preprocess.py'
    ],
    ContainerArguments: ['--split', '0.2', 'two words', '']
  },
  Environment: { STAGE: 'test' },
  NetworkConfig: {
    EnableInterContainerTrafficEncryption: true,
    EnableNetworkIsolation: false,
    VpcConfig: {
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      Subnets: ['subnet-0123456789abcdef0']
    }
  },
  RoleArn: ROLE,
  Tags: [{ Key: 'team', Value: 'ml' }],
  ExperimentConfig: { ExperimentName: 'exp', TrialName: 'trial' }
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Every leaf of a JSON value by its path (`A.B[2].C`); empty objects and arrays are leaves too. */
function leaves(value: unknown, path = '', into = new Map<string, unknown>()) {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, index) => leaves(item, `${path}[${index}]`, into));
  } else if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0
  ) {
    for (const [key, item] of Object.entries(value)) {
      leaves(item, path ? `${path}.${key}` : key, into);
    }
  } else {
    into.set(path, value);
  }
  return into;
}

/**
 * The paths where `after` differs from `before`: changed or removed leaves of `before`, added leaves of `after`,
 * reported by the documented field (the first of `fields` the path lies in) or by the path itself.
 */
function differences(before: unknown, after: unknown, fields: string[]) {
  const old = leaves(before);
  const now = leaves(after);
  const byField = (path: string) =>
    fields.find(
      field =>
        path === field ||
        path.startsWith(`${field}.`) ||
        path.startsWith(`${field}[`)
    ) ?? path;
  const found = new Set<string>();
  for (const [path, value] of old) {
    if (!now.has(path) || now.get(path) !== value) {
      found.add(byField(path));
    }
  }
  for (const path of now.keys()) {
    if (!old.has(path)) {
      found.add(byField(path));
    }
  }
  return [...found].sort();
}

function sha256(text: string) {
  return createHash('sha256').update(text).digest('hex');
}

describe('withSsh: a training job, field by field', () => {
  const input = deepFreeze(clonePlain(TRAINING));
  const wrapped = withSsh(input, OPTIONS);
  const bundleUri =
    's3://sagemaker-us-east-1-123456789012/sm-ssh/jobs/ssh-train-rich-1/sm-ssh/';

  it('changes exactly the documented fields', () => {
    expect(
      differences(TRAINING, wrapped.request, [
        'AlgorithmSpecification.ContainerEntrypoint',
        'AlgorithmSpecification.ContainerArguments',
        'InputDataConfig[3]',
        ...Object.values(JOB_ENV).map(key => `Environment.${key}`)
      ])
    ).toEqual(
      [
        'AlgorithmSpecification.ContainerArguments',
        'AlgorithmSpecification.ContainerEntrypoint',
        'InputDataConfig[3]',
        ...Object.values(JOB_ENV).map(key => `Environment.${key}`)
      ].sort()
    );
    // and every top-level field of the original is there, deep-equal where the wrap does not change it
    for (const key of Object.keys(
      TRAINING
    ) as (keyof CreateTrainingJobRequest)[]) {
      if (
        !['AlgorithmSpecification', 'InputDataConfig', 'Environment'].includes(
          key
        )
      ) {
        expect(wrapped.request[key]).toStrictEqual(TRAINING[key]);
      }
    }
    expect(Object.keys(wrapped.request)).toEqual(Object.keys(TRAINING));
  });

  it('is the original with the entry point, the bundle channel and the environment (deep-equal, strict)', () => {
    const expected = clonePlain(TRAINING);
    expected.AlgorithmSpecification!.ContainerEntrypoint = [
      '/bin/sh',
      '/opt/ml/input/data/sm-ssh/sm-ssh-job.sh'
    ];
    expected.AlgorithmSpecification!.ContainerArguments = [
      'python3',
      '-u',
      '/opt/ml/code/train.py',
      '--data',
      "it's a path"
    ];
    expected.InputDataConfig!.push({
      ChannelName: 'sm-ssh',
      DataSource: {
        S3DataSource: {
          S3DataType: 'S3Prefix',
          S3Uri: bundleUri,
          S3DataDistributionType: 'FullyReplicated'
        }
      },
      InputMode: 'File'
    });
    expected.Environment = {
      MY_FLAG: '1',
      PYTHONUNBUFFERED: 'TRUE',
      EMPTY: '',
      SSH_OWNER_TAG: 'AIDAEXAMPLEOWNER1234',
      SSH_SSM_ROLE:
        'service-role/AmazonSageMaker-ExecutionRole-20240101T000000',
      SM_SSH_WAIT_SECONDS: '900',
      SM_SSH_NODES: '2',
      SM_SSH_BUNDLE_DIR: '/opt/ml/input/data/sm-ssh'
    };
    expect(wrapped.request).toStrictEqual(expected);
    // the channels keep their order, the bundle's last
    expect(wrapped.request.InputDataConfig!.map(c => c.ChannelName)).toEqual([
      'train',
      'stream',
      'fs',
      'sm-ssh'
    ]);
  });

  it("leaves the caller's request as it was and shares no object with it", () => {
    expect(input).toStrictEqual(TRAINING);
    const shared: string[] = [];
    const walk = (a: unknown, b: unknown, path: string) => {
      if (a && typeof a === 'object' && b && typeof b === 'object') {
        if (a === b) {
          shared.push(path);
        }
        for (const key of Object.keys(a)) {
          walk((a as any)[key], (b as any)[key], `${path}.${key}`);
        }
      }
    };
    walk(input, wrapped.request, 'request');
    expect(shared).toEqual([]);
  });

  it('keeps the original command, recoverable exactly from ContainerArguments', () => {
    const command = [
      ...TRAINING.AlgorithmSpecification!.ContainerEntrypoint!,
      ...TRAINING.AlgorithmSpecification!.ContainerArguments!
    ];
    expect(wrapped.command).toEqual(command);
    expect(wrapped.request.AlgorithmSpecification!.ContainerArguments).toEqual(
      command
    );
    expect(wrapped.request.AlgorithmSpecification!.ContainerArguments).not.toBe(
      wrapped.command
    );
  });

  it('reports the job, its target, the bundle and its uploads', () => {
    expect({
      ...wrapped,
      request: undefined,
      uploads: undefined
    }).toStrictEqual({
      kind: 'training',
      jobName: 'ssh-train-rich-1',
      target: 'ssh-train-rich-1.training.sagemaker',
      request: undefined,
      bundleUri,
      bundlePath: '/opt/ml/input/data/sm-ssh',
      uploads: undefined,
      command: wrapped.command,
      nodes: 3,
      sshNodes: 2,
      waitSeconds: 900
    });
    const job = remote('sm-ssh-job.sh');
    const init = remote('sm-ssh-init.sh');
    expect(wrapped.uploads).toStrictEqual([
      {
        bucket: 'sagemaker-us-east-1-123456789012',
        key: 'sm-ssh/jobs/ssh-train-rich-1/sm-ssh/sm-ssh-job.sh',
        s3Uri: `${bundleUri}sm-ssh-job.sh`,
        body: job,
        bytes: Buffer.byteLength(job),
        sha256: sha256(job)
      },
      {
        bucket: 'sagemaker-us-east-1-123456789012',
        key: 'sm-ssh/jobs/ssh-train-rich-1/sm-ssh/sm-ssh-init.sh',
        s3Uri: `${bundleUri}sm-ssh-init.sh`,
        body: init,
        bytes: Buffer.byteLength(init),
        sha256: sha256(init)
      }
    ]);
    // the entry point is the uploaded script, where the channel puts it
    const [shell, script] =
      wrapped.request.AlgorithmSpecification!.ContainerEntrypoint!;
    expect(shell).toBe('/bin/sh');
    expect(script).toBe(
      `${wrapped.bundlePath}/${wrapped.uploads[0].key.split('/').pop()}`
    );
  });
});

describe('withSsh: a processing job, field by field', () => {
  const input = deepFreeze(clonePlain(PROCESSING));
  const wrapped = withSsh(input, { ...OPTIONS, sshNodes: 5 });
  const bundleUri =
    's3://sagemaker-us-east-1-123456789012/sm-ssh/jobs/ssh-process-rich-1/sm-ssh/';

  it('changes exactly the documented fields', () => {
    expect(
      differences(PROCESSING, wrapped.request, [
        'AppSpecification.ContainerEntrypoint',
        'AppSpecification.ContainerArguments',
        'ProcessingInputs[3]',
        ...Object.values(JOB_ENV).map(key => `Environment.${key}`)
      ])
    ).toEqual(
      [
        'AppSpecification.ContainerArguments',
        'AppSpecification.ContainerEntrypoint',
        'ProcessingInputs[3]',
        ...Object.values(JOB_ENV).map(key => `Environment.${key}`)
      ].sort()
    );
    for (const key of Object.keys(
      PROCESSING
    ) as (keyof CreateProcessingJobRequest)[]) {
      if (
        !['AppSpecification', 'ProcessingInputs', 'Environment'].includes(key)
      ) {
        expect(wrapped.request[key]).toStrictEqual(PROCESSING[key]);
      }
    }
    expect(Object.keys(wrapped.request)).toEqual(Object.keys(PROCESSING));
  });

  it('is the original with the entry point, the bundle input and the environment (deep-equal, strict)', () => {
    const expected = clonePlain(PROCESSING);
    expected.AppSpecification!.ContainerEntrypoint = [
      '/bin/sh',
      '/opt/ml/processing/input/sm-ssh/sm-ssh-job.sh'
    ];
    expected.AppSpecification!.ContainerArguments = [
      'python3',
      '/opt/ml/processing/input/code/preprocess.py',
      '--split',
      '0.2',
      'two words',
      ''
    ];
    expected.ProcessingInputs!.push({
      InputName: 'sm-ssh',
      S3Input: {
        S3Uri: bundleUri,
        LocalPath: '/opt/ml/processing/input/sm-ssh',
        S3DataType: 'S3Prefix',
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated'
      }
    });
    expected.Environment = {
      STAGE: 'test',
      SSH_OWNER_TAG: 'AIDAEXAMPLEOWNER1234',
      SSH_SSM_ROLE:
        'service-role/AmazonSageMaker-ExecutionRole-20240101T000000',
      SM_SSH_WAIT_SECONDS: '900',
      SM_SSH_NODES: '2',
      SM_SSH_BUNDLE_DIR: '/opt/ml/processing/input/sm-ssh'
    };
    expect(wrapped.request).toStrictEqual(expected);
    expect(input).toStrictEqual(PROCESSING);
  });

  it('caps the SSH nodes at the node count, and keeps the command', () => {
    expect(wrapped.nodes).toBe(2);
    expect(wrapped.sshNodes).toBe(2);
    expect(wrapped.target).toBe('ssh-process-rich-1.processing.sagemaker');
    expect(wrapped.bundlePath).toBe('/opt/ml/processing/input/sm-ssh');
    expect(wrapped.bundleUri).toBe(bundleUri);
    expect(wrapped.command).toEqual([
      ...PROCESSING.AppSpecification!.ContainerEntrypoint!,
      ...PROCESSING.AppSpecification!.ContainerArguments!
    ]);
  });
});

describe('withSsh: the command and the options', () => {
  const minimal: CreateTrainingJobRequest = {
    TrainingJobName: 'min',
    RoleArn: 'arn:aws:iam::123456789012:role/Plain',
    AlgorithmSpecification: {
      TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1',
      TrainingInputMode: 'File'
    },
    OutputDataConfig: { S3OutputPath: 's3://b/out/' },
    ResourceConfig: {
      InstanceType: 'ml.m5.large',
      InstanceCount: 1,
      VolumeSizeInGB: 1
    },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 }
  };
  const options = { owner: 'AIDAOWNER', bundleUri: 's3://bucket-1' };

  it('runs `train` without ContainerEntrypoint, after the image ENTRYPOINT when given, with the defaults', () => {
    const plain = withSsh(minimal, options);
    expect(plain.command).toEqual(['train']);
    expect(plain.request.AlgorithmSpecification!.ContainerArguments).toEqual([
      'train'
    ]);
    expect(plain.waitSeconds).toBe(600);
    expect(plain.sshNodes).toBe(1);
    expect(plain.request.Environment).toStrictEqual({
      SSH_OWNER_TAG: 'AIDAOWNER',
      SSH_SSM_ROLE: 'Plain',
      SM_SSH_WAIT_SECONDS: '600',
      SM_SSH_NODES: '1',
      SM_SSH_BUNDLE_DIR: '/opt/ml/input/data/sm-ssh'
    });
    expect(plain.request.InputDataConfig).toHaveLength(1);
    expect(plain.bundleUri).toBe('s3://bucket-1/min/sm-ssh/');
    const withImage = withSsh(
      {
        ...minimal,
        AlgorithmSpecification: {
          ...minimal.AlgorithmSpecification!,
          ContainerArguments: ['--epochs', '2']
        }
      },
      {
        ...options,
        imageEntrypoint: ['bash', '-m', 'start_with_right_hostname.sh']
      }
    );
    expect(withImage.command).toEqual([
      'bash',
      '-m',
      'start_with_right_hostname.sh',
      'train',
      '--epochs',
      '2'
    ]);
  });

  it('takes the processing entry point from imageEntrypoint when the request has none', () => {
    const app = { ...PROCESSING.AppSpecification! };
    delete app.ContainerEntrypoint;
    const wrapped = withSsh(
      { ...PROCESSING, AppSpecification: app },
      { ...OPTIONS, imageEntrypoint: ['python3', '/opt/program/process.py'] }
    );
    expect(wrapped.command).toEqual([
      'python3',
      '/opt/program/process.py',
      '--split',
      '0.2',
      'two words',
      ''
    ]);
  });

  it('counts the nodes of heterogeneous clusters (instance groups)', () => {
    const wrapped = withSsh(
      {
        ...minimal,
        ResourceConfig: {
          VolumeSizeInGB: 1,
          InstanceGroups: [
            {
              InstanceGroupName: 'a',
              InstanceType: 'ml.m5.large',
              InstanceCount: 2
            },
            {
              InstanceGroupName: 'b',
              InstanceType: 'ml.c5.xlarge',
              InstanceCount: 3
            }
          ]
        }
      },
      { ...options, sshNodes: 4 }
    );
    expect([wrapped.nodes, wrapped.sshNodes]).toEqual([5, 4]);
  });

  it('takes an SSM role by name with path or by ARN, and a wait of 0 or 5 days', () => {
    expect(
      withSsh(minimal, { ...options, ssmRole: 'service-role/Other' }).request
        .Environment!.SSH_SSM_ROLE
    ).toBe('service-role/Other');
    expect(
      withSsh(minimal, {
        ...options,
        ssmRole: 'arn:aws:iam::123456789012:role/a/b/Other'
      }).request.Environment!.SSH_SSM_ROLE
    ).toBe('a/b/Other');
    expect(withSsh(minimal, { ...options, waitSeconds: 0 }).waitSeconds).toBe(
      0
    );
    const long = {
      ...minimal,
      StoppingCondition: { MaxRuntimeInSeconds: 432001 }
    };
    expect(withSsh(long, { ...options, waitSeconds: 432000 }).waitSeconds).toBe(
      432000
    );
  });

  it('accepts our Environment keys when they already have the same values', () => {
    const once = withSsh(minimal, options);
    const again = withSsh(
      { ...minimal, Environment: once.request.Environment },
      options
    );
    expect(again.request.Environment).toStrictEqual(once.request.Environment);
  });

  it('tells the kind of a request by its name field', () => {
    expect(jobKindOf(TRAINING)).toBe('training');
    expect(jobKindOf(PROCESSING)).toBe('processing');
    expect(jobKindOf({})).toBeUndefined();
    expect(
      jobKindOf({ TrainingJobName: 'a', ProcessingJobName: 'b' })
    ).toBeUndefined();
  });

  it('normalizes the bundle prefix', () => {
    for (const uri of ['s3://b-1/p/q', 's3://b-1/p/q/', 's3://b-1//p/q//']) {
      expect(jobBundle(uri, 'j').uri).toBe('s3://b-1/p/q/j/sm-ssh/');
    }
    expect(jobBundle('s3://b-1/', 'j').uri).toBe('s3://b-1/j/sm-ssh/');
    expect(parseS3Uri('s3://b-1/a/b')).toEqual({ bucket: 'b-1', key: 'a/b' });
  });
});

describe('withSsh: refusals (one line and a hint, exit code 2)', () => {
  const training = (change: Partial<CreateTrainingJobRequest>) =>
    ({ ...clonePlain(TRAINING), ...change }) as CreateTrainingJobRequest;
  const processing = (change: Partial<CreateProcessingJobRequest>) =>
    ({
      ...clonePlain(PROCESSING),
      ...change
    }) as CreateProcessingJobRequest;
  const spec = (change: object) => ({
    ...TRAINING.AlgorithmSpecification!,
    ...change
  });
  const app = (change: object) => ({
    ...PROCESSING.AppSpecification!,
    ...change
  });
  const channel = (name: string) => ({
    ChannelName: name,
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: `s3://d/${name}` }
    }
  });
  const input = (
    name: string,
    localPath = `/opt/ml/processing/input/${name}`
  ) => ({
    InputName: name,
    S3Input: {
      S3Uri: `s3://d/${name}`,
      LocalPath: localPath,
      S3DataType: 'S3Prefix' as const,
      S3InputMode: 'File' as const
    }
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'not a job request',
      () => withSsh({} as CreateTrainingJobRequest, OPTIONS),
      /neither or both/
    ],
    [
      'no job name',
      () => withSsh(training({ TrainingJobName: '' }), OPTIONS),
      /no TrainingJobName/
    ],
    [
      'a job name that is a number (JSON from a file)',
      () =>
        withSsh(training({ TrainingJobName: 3 as unknown as string }), OPTIONS),
      /^TrainingJobName is the number 3, not a string$/
    ],
    [
      'a RoleArn that is an object',
      () =>
        withSsh(
          training({ RoleArn: { arn: 'x' } as unknown as string }),
          OPTIONS
        ),
      /^RoleArn is an object, not a string$/
    ],
    [
      'a bad job name',
      () => withSsh(training({ TrainingJobName: 'my_job' }), OPTIONS),
      /"my_job" is not a SageMaker job name/
    ],
    [
      'no RoleArn',
      () => withSsh(training({ RoleArn: undefined }), OPTIONS),
      /no RoleArn/
    ],
    [
      'a RoleArn that is a user',
      () =>
        withSsh(
          training({ RoleArn: 'arn:aws:iam::123456789012:user/bob' }),
          OPTIONS
        ),
      /RoleArn .* names a user, not a role/
    ],
    [
      'no owner',
      () => withSsh(TRAINING, { ...OPTIONS, owner: ' ' }),
      /no owner/
    ],
    [
      'a bad SSM role',
      () => withSsh(TRAINING, { ...OPTIONS, ssmRole: 'has space' }),
      /SSM role "has space"/
    ],
    [
      'a channel named sm-ssh',
      () =>
        withSsh(training({ InputDataConfig: [channel('sm-ssh')] }), OPTIONS),
      /already has a channel named sm-ssh/
    ],
    [
      '20 channels already',
      () =>
        withSsh(
          training({
            InputDataConfig: Array.from({ length: 20 }, (_, i) =>
              channel(`c${i}`)
            )
          }),
          OPTIONS
        ),
      /has 20 channels; .* at most 20/
    ],
    [
      'an input named sm-ssh',
      () =>
        withSsh(
          processing({
            ProcessingInputs: [input('sm-ssh', '/opt/ml/processing/input/x')]
          }),
          OPTIONS
        ),
      /processing input named sm-ssh/
    ],
    [
      'an input at the bundle path',
      () =>
        withSsh(
          processing({
            ProcessingInputs: [input('x', '/opt/ml/processing/input/sm-ssh/')]
          }),
          OPTIONS
        ),
      /input x already uses \/opt\/ml\/processing\/input\/sm-ssh/
    ],
    [
      '10 inputs already',
      () =>
        withSsh(
          processing({
            ProcessingInputs: Array.from({ length: 10 }, (_, i) =>
              input(`i${i}`)
            )
          }),
          OPTIONS
        ),
      /has 10 processing inputs; .* at most 10/
    ],
    [
      'our owner set otherwise',
      () =>
        withSsh(
          training({ Environment: { SSH_OWNER_TAG: 'someone-else' } }),
          OPTIONS
        ),
      /Environment sets SSH_OWNER_TAG to "someone-else"/
    ],
    [
      'our wait set otherwise',
      () =>
        withSsh(
          processing({ Environment: { SM_SSH_WAIT_SECONDS: '5' } }),
          OPTIONS
        ),
      /Environment sets SM_SSH_WAIT_SECONDS to "5"/
    ],
    [
      '100 environment entries already',
      () =>
        withSsh(
          training({
            Environment: Object.fromEntries(
              Array.from({ length: 100 }, (_, i) => [`V${i}`, 'x'])
            )
          }),
          OPTIONS
        ),
      /105 entries .* at most 100/
    ],
    [
      'a negative wait',
      () => withSsh(TRAINING, { ...OPTIONS, waitSeconds: -1 }),
      /wait of -1 s/
    ],
    [
      'a fractional wait',
      () => withSsh(TRAINING, { ...OPTIONS, waitSeconds: 1.5 }),
      /wait of 1.5 s/
    ],
    [
      'a wait over 5 days',
      () => withSsh(TRAINING, { ...OPTIONS, waitSeconds: 432001 }),
      /wait of 432001 s .* 0 to 432000/
    ],
    [
      'a wait as long as the job may run',
      () =>
        withSsh(
          processing({ StoppingCondition: { MaxRuntimeInSeconds: 900 } }),
          OPTIONS
        ),
      /not shorter than .*MaxRuntimeInSeconds \(900\)/
    ],
    [
      '0 SSH nodes',
      () => withSsh(TRAINING, { ...OPTIONS, sshNodes: 0 }),
      /0 SSH nodes/
    ],
    [
      'fractional SSH nodes',
      () => withSsh(TRAINING, { ...OPTIONS, sshNodes: 1.5 }),
      /1.5 SSH nodes/
    ],
    [
      'a training command of 101 words',
      () =>
        withSsh(
          training({
            AlgorithmSpecification: spec({
              ContainerEntrypoint: ['python3'],
              ContainerArguments: Array.from({ length: 100 }, (_, i) => `a${i}`)
            })
          }),
          OPTIONS
        ),
      /has 101 words; .* at most 100/
    ],
    [
      'a processing command of 257 words',
      () =>
        withSsh(
          processing({
            AppSpecification: app({
              ContainerEntrypoint: ['python3'],
              ContainerArguments: Array.from({ length: 256 }, (_, i) => `a${i}`)
            })
          }),
          OPTIONS
        ),
      /has 257 words; .* at most 256/
    ],
    [
      'a word of 257 characters',
      () =>
        withSsh(
          training({
            AlgorithmSpecification: spec({
              ContainerArguments: ['x'.repeat(257)]
            })
          }),
          OPTIONS
        ),
      /word 3 of the job's command is 257 characters/
    ],
    [
      'entry point words that are no strings',
      () =>
        withSsh(
          training({
            AlgorithmSpecification: spec({
              ContainerEntrypoint: ['python3', 3]
            })
          }),
          OPTIONS
        ),
      /ContainerEntrypoint is not an array of strings/
    ],
    [
      'processing without an entry point',
      () =>
        withSsh(processing({ AppSpecification: { ImageUri: 'img' } }), OPTIONS),
      /no AppSpecification.ContainerEntrypoint/
    ],
    [
      'a training job of an algorithm resource',
      () =>
        withSsh(
          training({
            AlgorithmSpecification: {
              AlgorithmName:
                'arn:aws:sagemaker:us-east-1:123456789012:algorithm/x',
              TrainingInputMode: 'File'
            }
          }),
          OPTIONS
        ),
      /algorithm resource/
    ],
    [
      'training with network isolation',
      () => withSsh(training({ EnableNetworkIsolation: true }), OPTIONS),
      /EnableNetworkIsolation is true/
    ],
    [
      'processing with network isolation',
      () =>
        withSsh(
          processing({ NetworkConfig: { EnableNetworkIsolation: true } }),
          OPTIONS
        ),
      /NetworkConfig.EnableNetworkIsolation is true/
    ],
    [
      'a bundle URI that is not s3://',
      () => withSsh(TRAINING, { ...OPTIONS, bundleUri: 'https://b/p' }),
      /bundle URI "https:\/\/b\/p" is not an s3:\/\/ URI/
    ],
    [
      'a bundle bucket with capitals',
      () => withSsh(TRAINING, { ...OPTIONS, bundleUri: 's3://My-Bucket/p' }),
      /invalid bucket name "My-Bucket"/
    ],
    [
      'a bundle prefix too long for S3',
      () =>
        withSsh(TRAINING, {
          ...OPTIONS,
          bundleUri: `s3://b-1/${'p'.repeat(990)}`
        }),
      /S3 allows 1024-byte keys/
    ]
  ])('%s', (_, run, message) => {
    expect(refusal(run).message).toMatch(message);
  });

  it('takes the longest command and prefix that fit', () => {
    const fits = withSsh(
      training({
        AlgorithmSpecification: spec({
          ContainerEntrypoint: ['python3'],
          ContainerArguments: Array.from({ length: 99 }, () => 'x'.repeat(256))
        })
      }),
      OPTIONS
    );
    expect(fits.command).toHaveLength(100);
    // keys `<prefix>/ssh-train-rich-1/sm-ssh/sm-ssh-init.sh` of exactly 1024 bytes
    const room = 1024 - '/ssh-train-rich-1/sm-ssh/sm-ssh-init.sh'.length;
    expect(
      withSsh(TRAINING, {
        ...OPTIONS,
        bundleUri: `s3://b-1/${'p'.repeat(room)}`
      }).uploads[1].key
    ).toHaveLength(1024);
  });
});
