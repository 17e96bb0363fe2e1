/**
 * A space as a list line, the table's columns for it, and a listing whose ListSpaces IAM refuses. No local server
 * enforces IAM on SageMaker calls, so that refusal is a client whose send throws AWS's error shape (as in
 * resolve/status.test.ts); everything the sandbox can answer is tested on it (test/space-list.test.ts).
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../aws/clients.js';
import { rowsOf } from '../cli/commands/list.js';
import { listTargets } from '../resolve/list.js';
import { spaceArn, spaceSummary } from './list.js';
import type { ISpaceInfo } from './types.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const space: ISpaceInfo = {
  domainId: 'd-abc123xyz',
  spaceName: 'my-space',
  spaceArn:
    'arn:aws:sagemaker:us-east-1:123456789012:space/d-abc123xyz/my-space',
  status: 'InService',
  appType: 'JupyterLab',
  remoteAccess: 'ENABLED',
  ownerProfile: 'alice',
  app: {
    appType: 'JupyterLab',
    appName: 'default',
    status: 'InService',
    instanceType: 'ml.m5.large'
  }
};

describe('spaceSummary', () => {
  it('is Online when remote access reaches the space, with the fields list --json promises', () => {
    expect(spaceSummary(space, new Date(NOW - 90_000), NOW)).toEqual({
      target: 'my-space.d-abc123xyz.space.sagemaker',
      kind: 'space',
      status: 'InService',
      ping: 'Online',
      nodes: 1,
      owner: 'alice',
      mine: true,
      ageSeconds: 90,
      instances: [],
      resourceArn: space.spaceArn,
      via: 'remote-access',
      remoteAccess: 'ENABLED',
      appType: 'JupyterLab',
      appStatus: 'InService'
    });
  });

  it('is Offline with remote access off, an app that is not InService, or none (appStatus None)', () => {
    expect(
      spaceSummary({ ...space, remoteAccess: 'DISABLED' }, undefined, NOW)
    ).toMatchObject({ ping: 'Offline', remoteAccess: 'DISABLED' });
    expect(
      spaceSummary(
        { ...space, app: { ...space.app!, status: 'Pending' } },
        undefined,
        NOW
      )
    ).toMatchObject({ ping: 'Offline', appStatus: 'Pending' });
    expect(
      spaceSummary({ ...space, app: undefined }, undefined, NOW)
    ).toMatchObject({
      ping: 'Offline',
      appStatus: 'None',
      nodes: 0,
      ageSeconds: undefined
    });
    expect(
      spaceSummary({ ...space, appType: 'KernelGateway' }, undefined, NOW).ping
    ).toBe('Offline');
  });

  it('builds the ARN ListSpaces leaves out, in the partition of the region', () => {
    expect(spaceArn('us-east-1', '123456789012', 'd-abc', 's')).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:space/d-abc/s'
    );
    expect(spaceArn('cn-north-1', '123456789012', 'd-abc', 's')).toBe(
      'arn:aws-cn:sagemaker:cn-north-1:123456789012:space/d-abc/s'
    );
  });
});

describe('the list table', () => {
  const job = {
    target: 'my-job.training.sagemaker',
    kind: 'training' as const,
    status: 'InProgress',
    ping: 'Online',
    nodes: 1,
    owner: 'AROA:me',
    mine: true,
    ageSeconds: 30,
    instances: ['mi-0123456789abcdef0'],
    via: 'ssm-instance' as const
  };

  it('keeps its seven columns when no space is listed', () => {
    expect(rowsOf([job])).toEqual([
      ['TARGET', 'KIND', 'STATUS', 'PING', 'NODES', 'AGE', 'OWNER'],
      [
        'my-job.training.sagemaker',
        'training',
        'InProgress',
        'Online',
        '1',
        '30s',
        'AROA:me (you)'
      ]
    ]);
  });

  it('adds VIA and REMOTE-ACCESS (on/off) when spaces are listed; a space owner is its profile, never "(you)"', () => {
    const off = spaceSummary(
      { ...space, spaceName: 'off', remoteAccess: 'DISABLED' },
      undefined,
      NOW
    );
    expect(rowsOf([job, spaceSummary(space, undefined, NOW), off])).toEqual([
      [
        'TARGET',
        'KIND',
        'STATUS',
        'PING',
        'NODES',
        'AGE',
        'OWNER',
        'VIA',
        'REMOTE-ACCESS'
      ],
      [
        'my-job.training.sagemaker',
        'training',
        'InProgress',
        'Online',
        '1',
        '30s',
        'AROA:me (you)',
        'ssm-instance',
        '-'
      ],
      [
        'my-space.d-abc123xyz.space.sagemaker',
        'space',
        'InService',
        'Online',
        '1',
        '-',
        'alice',
        'remote-access',
        'on'
      ],
      [
        'off.d-abc123xyz.space.sagemaker',
        'space',
        'InService',
        'Offline',
        '1',
        '-',
        'alice',
        'remote-access',
        'off'
      ]
    ]);
  });
});

/** Clients whose SageMaker refuses every call as IAM does, and whose STS answers. */
class DeniedClients extends AwsClients {
  readonly sent: string[] = [];

  constructor() {
    super('us-east-1', async () => ({
      accessKeyId: 'x',
      secretAccessKey: 'y'
    }));
  }

  override sagemaker(): SageMakerClient {
    return {
      send: async (command: object) => {
        this.sent.push(command.constructor.name);
        throw Object.assign(
          new Error(
            'User: arn:aws:sts::123456789012:assumed-role/DataScientist/me is not authorized to perform: sagemaker:ListSpaces'
          ),
          { name: 'AccessDeniedException' }
        );
      }
    } as unknown as SageMakerClient;
  }

  override sts(): STSClient {
    return {
      send: async () => ({ UserId: 'AROA:me', Account: '123456789012' })
    } as unknown as STSClient;
  }
}

describe('listTargets --kind space without sagemaker:ListSpaces', () => {
  it('lists nothing and warns, naming the permission and setup apply --remote-access', async () => {
    const clients = new DeniedClients();
    const warnings: string[] = [];
    const targets = await listTargets(clients, {
      kind: 'space',
      onWarning: text => warnings.push(text)
    });
    expect(targets).toEqual([]);
    expect(clients.sent).toEqual(['ListSpacesCommand']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Studio spaces left out: User: .* is not authorized to perform: sagemaker:ListSpaces \(sagemaker:ListSpaces and sagemaker:ListApps are needed; sm-ssh setup apply --remote-access grants them\)$/
    );
  });
});
