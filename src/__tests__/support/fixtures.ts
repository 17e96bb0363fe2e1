/** Records of the bridge API for the view and plugin tests. */
import type {
  IBridgeInfo,
  IBridgeJobState,
  IBridgeTarget,
  IBridgeTunnel,
  ISetupCheckResponse,
  ISpaceOperation
} from '../../tokens';

export function target(
  name: string,
  overrides: Partial<IBridgeTarget> = {}
): IBridgeTarget {
  return {
    target: name,
    kind: name.split('.').slice(-2)[0] as IBridgeTarget['kind'],
    status: 'InProgress',
    ping: 'Online',
    nodes: 1,
    owner: 'AKIAIOSFODNN7EXAMPLE',
    mine: true,
    ageSeconds: 90,
    instances: ['mi-0123456789abcdef0'],
    via: 'ssm-instance',
    ...overrides
  };
}

/** A Studio space as the bridge lists it (remote access on unless overridden). */
export function space(
  name: string,
  overrides: Partial<IBridgeTarget> = {}
): IBridgeTarget {
  return target(`${name}.${SPACE_DOMAIN}.space.sagemaker`, {
    kind: 'space',
    status: 'InService',
    ping: 'Online',
    owner: 'alice',
    mine: true,
    ageSeconds: undefined,
    instances: [],
    resourceArn: `arn:aws:sagemaker:us-east-1:123456789012:space/${SPACE_DOMAIN}/${name}`,
    via: 'remote-access',
    remoteAccess: 'ENABLED',
    appType: 'JupyterLab',
    appStatus: 'InService',
    ...overrides
  });
}

/** The demo domain's id (moto makes one up; any d-… will do here). */
export const SPACE_DOMAIN = 'd-demo0123abcd';
export const SPACE_ON = `ssh-space-demo.${SPACE_DOMAIN}.space.sagemaker`;
export const SPACE_OFF = `ssh-space-off-demo.${SPACE_DOMAIN}.space.sagemaker`;

export function spaceOperation(
  overrides: Partial<ISpaceOperation> = {}
): ISpaceOperation {
  return {
    target: SPACE_OFF,
    state: 'running',
    step: 'enabling remote access',
    startedAt: 1000,
    ...overrides
  };
}

/** The job scripts/lab.mjs launches with SSH for the UI tests. */
export const JOB = 'ssh-job-demo.training.sagemaker';

/** A training job launched with SSH, in `phase` (waiting: 10 minutes left from `now`). */
export function job(
  phase: IBridgeJobState['phase'],
  overrides: Partial<IBridgeTarget> = {},
  now = Date.now()
): IBridgeTarget {
  const state: IBridgeJobState = { phase, waitSeconds: 3600, sshNodes: 1 };
  if (phase === 'waiting') {
    // floor: rounding up put the end up to half a second past 600 s from now, which the panel shows as 11 min
    state.waitEndsAt = Math.floor(now / 1000) + 600;
  }
  return target(JOB, {
    instances: phase === 'finished' ? [] : ['mi-0job0000000000001'],
    ...(phase === 'finished'
      ? { status: 'Completed', ping: 'NotFound', ageSeconds: undefined }
      : {}),
    job: state,
    ...overrides
  });
}

export function tunnel(
  id: string,
  overrides: Partial<IBridgeTunnel> = {}
): IBridgeTunnel {
  return {
    id,
    target: 'ssh-training-demo.training.sagemaker',
    node: 1,
    localHost: '127.0.0.1',
    localPort: 40123,
    remoteHost: 'localhost',
    remotePort: 8888,
    state: 'up',
    bytesIn: 123456,
    bytesOut: 789,
    connections: 1,
    totalConnections: 3,
    startedAt: 1,
    ...overrides
  };
}

export const INFO: IBridgeInfo = {
  version: '0.1.0',
  region: 'us-east-1',
  caller: 'arn:aws:iam::123456789012:user/me',
  userId: 'AKIAIOSFODNN7EXAMPLE',
  studio: false,
  smSshCommand: ['/usr/bin/node', '/opt/sm-ssh/main.js'],
  smSshShellCommand: '/usr/bin/node /opt/sm-ssh/main.js',
  defaultUsers: { training: 'root', space: 'sagemaker-user' },
  identityFile: '/home/u/.config/sm-ssh/id_ed25519',
  knownHostsFile: '/home/u/.config/sm-ssh/known_hosts'
};

/** The demo fleet as `sm-ssh list` shows it (README). */
export const DEMO: IBridgeTarget[] = [
  target('ssh-endpoint-demo.inference.sagemaker', {
    status: 'InService',
    owner: '',
    mine: true,
    ageSeconds: undefined
  }),
  target('ssh-notebook-demo.notebook.sagemaker', { status: 'InService' }),
  target('ssh-processing-demo.processing.sagemaker'),
  target(
    'datascience-1-0-ml-t3-medium-demo.alice.d-ssh-demo.studio.sagemaker',
    { status: 'InService' }
  ),
  target('bob-training-job.training.sagemaker', {
    owner: 'AROAEXAMPLEOTHER:bob',
    mine: false
  }),
  target('ssh-training-demo.training.sagemaker', { nodes: 2 }),
  target('ssh-transform-demo.transform.sagemaker', {
    ping: 'ConnectionLost',
    status: 'Stopping'
  }),
  space('ssh-space-demo'),
  space('ssh-space-off-demo', { remoteAccess: 'DISABLED', ping: 'Offline' })
];

export const SETUP: ISetupCheckResponse = {
  report: {
    ok: false,
    account: '123456789012',
    sagemakerRole: 'arn:aws:iam::123456789012:role/SageMakerRole',
    userRole: 'arn:aws:iam::123456789012:role/SageMakerRole',
    regions: ['us-east-1'],
    evaluator: 'local',
    evaluatorNote: 'the IAM simulator was not allowed; evaluated locally',
    items: [
      {
        id: 'client.start-session',
        group: 'User role',
        title: 'Start sessions to own instances',
        status: 'MISSING',
        subject: 'arn:aws:iam::123456789012:role/SageMakerRole',
        reasons: [
          'ssm:StartSession on arn:aws:ssm:*:*:managed-instance/* is implicitly denied'
        ],
        fix: {
          policyName: 'SSHSageMakerClientPolicy',
          statement: {
            Sid: 'SSMStartSessionOwn',
            Effect: 'Allow',
            Action: ['ssm:StartSession'],
            Resource: 'arn:aws:ssm:*:*:managed-instance/*',
            Condition: {
              StringLike: { 'ssm:resourceTag/SSHOwner': '${aws:userid}' }
            }
          }
        }
      },
      {
        id: 'ssm.tier',
        group: 'SSM',
        title: 'Advanced-tier activations',
        status: 'WARNING',
        subject: 'us-east-1',
        reasons: ['the standard tier allows 1000 instances'],
        command: 'sm-ssh setup tier --advanced --region us-east-1'
      },
      {
        id: 'server.describe',
        group: 'SageMaker role',
        title: 'Describe its own resources',
        status: 'OK',
        subject: 'arn:aws:iam::123456789012:role/SageMakerRole',
        reasons: []
      }
    ],
    summary: { ok: 1, missing: 1, warnings: 1 }
  },
  applyCommand:
    'sm-ssh setup apply --studio --sagemaker-role arn:aws:iam::123456789012:role/SageMakerRole',
  checkCommand: 'sm-ssh setup check --studio'
};
