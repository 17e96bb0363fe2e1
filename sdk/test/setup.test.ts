/**
 * `sm-ssh setup` end to end: the built CLI as a real process against moto (IAM, STS) and the sandbox (SSM
 * service settings), reached only through AWS_ENDPOINT_URL_<SERVICE> and fake credentials.
 */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  runCli,
  SAGEMAKER_TRUST,
  startLocalCloud,
  type ICliResult,
  type ILocalCloud
} from './harness/cloud.js';

const ACCOUNT = '123456789012';
const USER_TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole'
    }
  ]
};

let cloud: ILocalCloud;
let iam: IAMClient;
let roleCounter = 0;

interface IRoles {
  sagemaker: string;
  user: string;
  sagemakerName: string;
  userName: string;
}

async function createRole(
  name: string,
  trust: object,
  path = '/'
): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      Path: path,
      AssumeRolePolicyDocument: JSON.stringify(trust)
    })
  );
  return Role?.Arn as string;
}

async function createRoles(): Promise<IRoles> {
  roleCounter += 1;
  const sagemakerName = `AmazonSageMaker-ExecutionRole-${roleCounter}`;
  const userName = `DataScientist-${roleCounter}`;
  return {
    sagemakerName,
    userName,
    sagemaker: await createRole(
      sagemakerName,
      SAGEMAKER_TRUST,
      '/service-role/'
    ),
    user: await createRole(userName, USER_TRUST)
  };
}

function cli(...args: string[]): Promise<ICliResult> {
  return runCli(args, cloud.env);
}

function roleArgs(roles: IRoles): string[] {
  return ['--sagemaker-role', roles.sagemaker, '--user-role', roles.user];
}

interface IReport {
  ok: boolean;
  evaluator: string;
  items: Array<{
    id: string;
    group: string;
    status: string;
    subject: string;
    reasons: string[];
    fix?: { policyName: string };
  }>;
}

async function check(
  ...args: string[]
): Promise<{ code: number; report: IReport }> {
  const result = await cli('setup', 'check', ...args, '--json');
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as IReport };
}

function statusOf(
  report: IReport,
  id: string,
  subject?: string
): string | undefined {
  return report.items.find(
    item =>
      item.id === id && (subject === undefined || item.subject === subject)
  )?.status;
}

async function snapshot(
  roleName: string
): Promise<{ trust: unknown; policies: string[]; tags: unknown[] }> {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const text = Role?.AssumeRolePolicyDocument ?? '';
  const { PolicyNames } = await iam.send(
    new ListRolePoliciesCommand({ RoleName: roleName })
  );
  const { Tags } = await iam.send(
    new ListRoleTagsCommand({ RoleName: roleName })
  );
  return {
    trust: JSON.parse(text.startsWith('{') ? text : decodeURIComponent(text)),
    policies: PolicyNames ?? [],
    tags: Tags ?? []
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  iam = new IAMClient({
    region: 'us-east-1',
    endpoint: cloud.motoUrl,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
  });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('sm-ssh setup on a fresh account', () => {
  let roles: IRoles;
  let original: {
    sagemaker: Awaited<ReturnType<typeof snapshot>>;
    user: Awaited<ReturnType<typeof snapshot>>;
  };

  beforeAll(async () => {
    roles = await createRoles();
    original = {
      sagemaker: await snapshot(roles.sagemakerName),
      user: await snapshot(roles.userName)
    };
  });

  it('check fails and names every missing requirement with its fix', async () => {
    const { code, report } = await check(
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.evaluator).toBe('local');
    for (const id of [
      'trust.ssm',
      'server.pass-role',
      'server.register',
      'server.update-instance-information',
      'client.read',
      'client.own-instances',
      'client.terminate-session',
      'client.ssh-document',
      'client.run-shell-document',
      'client.logs-query'
    ]) {
      expect([id, statusOf(report, id)]).toEqual([id, 'MISSING']);
    }
    expect(statusOf(report, 'trust.sagemaker')).toBe('OK');
    expect(statusOf(report, 'tier.us-east-1')).toBe('MISSING');
    expect(statusOf(report, 'tier.eu-west-1')).toBe('MISSING');
    const passRole = report.items.find(item => item.id === 'server.pass-role');
    expect(passRole?.fix?.policyName).toBe('SSHSageMakerServerPolicy');
    expect(passRole?.reasons[0]).toContain(
      `iam:PassRole on ${roles.sagemaker} is implicitly denied`
    );
  });

  it('check prints a human report with the statements to add', async () => {
    const result = await cli('setup', 'check', ...roleArgs(roles));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`SageMaker role ${roles.sagemaker}`);
    expect(result.stdout).toMatch(/MISSING +SSM can assume the role/);
    expect(result.stdout).toContain('"Service": "ssm.amazonaws.com"');
    expect(result.stdout).toContain(
      'fix: aws ssm update-service-setting --setting-id /ssm/managed-instance/activation-tier --setting-value advanced --region us-east-1'
    );
    expect(result.stdout).toMatch(/^FAIL: \d+ missing/m);
  });

  it('apply --dry-run shows the diff and changes nothing', async () => {
    const result = await cli(
      'setup',
      'apply',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1',
      '--dry-run'
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `would add 1 statement(s) to the trust policy of ${roles.sagemakerName}`
    );
    expect(result.stdout).toContain('+         "Service": "ssm.amazonaws.com"');
    expect(result.stdout).toContain(
      `would put inline policy SSHSageMakerServerPolicy on ${roles.sagemakerName}`
    );
    expect(result.stdout).toContain(
      `would put inline policy SSHSageMakerClientPolicy on ${roles.userName}`
    );
    expect(result.stdout).toContain(
      'would set /ssm/managed-instance/activation-tier to advanced in eu-west-1'
    );
    expect(await snapshot(roles.sagemakerName)).toEqual(original.sagemaker);
    expect(await snapshot(roles.userName)).toEqual(original.user);
    expect((await check(...roleArgs(roles))).code).toBe(1);
  });

  it('apply makes check pass, and a second apply changes nothing', async () => {
    const first = await cli(
      'setup',
      'apply',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Done: `sm-ssh setup check` passes.');
    const { code, report } = await check(
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(report.items.filter(item => item.status === 'MISSING')).toEqual([]);
    expect(code).toBe(0);
    const second = await cli(
      'setup',
      'apply',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1',
      '--json'
    );
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).changes).toEqual([]);
    const human = await cli(
      'setup',
      'apply',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(human.stdout).toContain(
      'Nothing to change: the account already passes `sm-ssh setup check`.'
    );
  });

  it('keeps the existing trust statements', async () => {
    const { trust } = await snapshot(roles.sagemakerName);
    expect((trust as { Statement: unknown[] }).Statement).toEqual([
      SAGEMAKER_TRUST.Statement[0],
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:AssumeRole'
      }
    ]);
  });

  it('names the statement that was taken out', async () => {
    const { PolicyDocument } = await import('@aws-sdk/client-iam').then(
      async ({ GetRolePolicyCommand }) =>
        iam.send(
          new GetRolePolicyCommand({
            RoleName: roles.userName,
            PolicyName: 'SSHSageMakerClientPolicy'
          })
        )
    );
    const text = PolicyDocument ?? '';
    const document = JSON.parse(
      text.startsWith('{') ? text : decodeURIComponent(text)
    ) as { Statement: Array<{ Resource?: string }> };
    const full = JSON.stringify(document);
    document.Statement = document.Statement.filter(
      statement =>
        statement.Resource !== 'arn:aws:ssm:*::document/AWS-StartSSHSession'
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'SSHSageMakerClientPolicy',
        PolicyDocument: JSON.stringify(document)
      })
    );
    const { code, report } = await check(...roleArgs(roles));
    expect(code).toBe(1);
    expect(
      report.items
        .filter(item => item.status === 'MISSING')
        .map(item => item.id)
    ).toEqual(['client.ssh-document']);
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'SSHSageMakerClientPolicy',
        PolicyDocument: full
      })
    );
  });

  it('remove restores the original documents; the tier stays unless --tier', async () => {
    const dry = await cli('setup', 'remove', ...roleArgs(roles), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `would delete inline policy SSHSageMakerServerPolicy from ${roles.sagemakerName}`
    );
    expect((await check(...roleArgs(roles))).code).toBe(0);
    const result = await cli(
      'setup',
      'remove',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await snapshot(roles.sagemakerName)).toEqual(original.sagemaker);
    expect(await snapshot(roles.userName)).toEqual(original.user);
    const { report } = await check(
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1'
    );
    expect(statusOf(report, 'tier.us-east-1')).toBe('OK');
    await cli(
      'setup',
      'remove',
      ...roleArgs(roles),
      '--regions',
      'us-east-1,eu-west-1',
      '--tier'
    );
    expect(
      statusOf(
        (await check(...roleArgs(roles), '--regions', 'eu-west-1')).report,
        'tier.eu-west-1'
      )
    ).toBe('MISSING');
  });
});

describe('policies of other shapes', () => {
  it("passes a role set up by the original project's CDK app (managed policies of the same names)", async () => {
    const roles = await createRoles();
    const documents = JSON.parse(
      (
        await cli(
          'setup',
          'print',
          '--sagemaker-role-arn',
          roles.sagemaker,
          '--json'
        )
      ).stdout
    );
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            Service: [
              'sagemaker.amazonaws.com',
              'codebuild.amazonaws.com',
              'ssm.amazonaws.com'
            ]
          },
          Action: 'sts:AssumeRole'
        }
      ]
    };
    const { UpdateAssumeRolePolicyCommand } =
      await import('@aws-sdk/client-iam');
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roles.sagemakerName,
        PolicyDocument: JSON.stringify(trust)
      })
    );
    documents.clientPolicy.Statement[3].Resource = [
      'arn:aws:ssm:*::document/AWS-StartSSHSession',
      'arn:aws:ssm:*::document/SSM-SessionManagerRunShell'
    ];
    for (const [name, document, roleName] of [
      [
        `SSHSageMakerServerPolicy-${roles.sagemakerName}`,
        documents.serverPolicy,
        roles.sagemakerName
      ],
      [
        `SSHSageMakerClientPolicy-${roles.userName}`,
        documents.clientPolicy,
        roles.userName
      ]
    ]) {
      const { Policy } = await iam.send(
        new CreatePolicyCommand({
          PolicyName: name,
          PolicyDocument: JSON.stringify(document)
        })
      );
      await iam.send(
        new AttachRolePolicyCommand({
          RoleName: roleName,
          PolicyArn: Policy?.Arn
        })
      );
    }
    await cli('setup', 'apply', ...roleArgs(roles));
    const { code, report } = await check(...roleArgs(roles));
    expect(report.items.filter(item => item.status === 'MISSING')).toEqual([]);
    expect(code).toBe(0);
  });

  it('passes ssm:* on * and fails a narrower SSHOwner condition with the reason', async () => {
    const roles = await createRoles();
    const broad = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['ssm:*', 'logs:*'], Resource: '*' }
      ]
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'Broad',
        PolicyDocument: JSON.stringify(broad)
      })
    );
    const { report } = await check('--user-role', roles.user);
    expect(
      report.items.filter(
        item => item.group === 'client' && item.status === 'MISSING'
      )
    ).toEqual([]);
    expect(statusOf(report, 'client.others-instances')).toBe('WARNING');

    const narrow = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'ssm:DescribeInstanceInformation',
            'ssm:ListTagsForResource',
            'ssm:GetCommandInvocation',
            'logs:GetQueryResults',
            'logs:StartQuery'
          ],
          Resource: '*'
        },
        {
          Effect: 'Allow',
          Action: ['ssm:StartSession', 'ssm:SendCommand'],
          Resource: '*',
          Condition: {
            StringEquals: { 'ssm:resourceTag/SSHOwner': 'AROAFIXEDVALUE:bob' }
          }
        }
      ]
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'Broad',
        PolicyDocument: JSON.stringify(narrow)
      })
    );
    const narrowed = await check('--user-role', roles.user);
    const ownInstances = narrowed.report.items.find(
      item => item.id === 'client.own-instances'
    );
    expect(ownInstances?.status).toBe('MISSING');
    expect(ownInstances?.reasons.join('\n')).toMatch(
      /ssm:StartSession on arn:aws:ssm:us-east-1:123456789012:managed-instance\/mi-0123456789abcdef0 is implicitly denied/
    );
    expect(ownInstances?.reasons.join('\n')).toContain('AROAFIXEDVALUE:bob');
    expect(statusOf(narrowed.report, 'client.others-instances')).toBe('OK');
  });

  it("a Deny statement beats the guide's policy and apply says it cannot fix it", async () => {
    const roles = await createRoles();
    await cli('setup', 'apply', ...roleArgs(roles));
    const deny = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'ssm:StartSession', Resource: '*' }]
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'NoSessions',
        PolicyDocument: JSON.stringify(deny)
      })
    );
    const { code, report } = await check(...roleArgs(roles));
    expect(code).toBe(1);
    expect(
      report.items
        .find(item => item.id === 'client.own-instances')
        ?.reasons.join('\n')
    ).toContain('is explicitly denied by NoSessions');
    const apply = await cli('setup', 'apply', ...roleArgs(roles));
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('cannot fix:');
    expect(apply.stdout).toContain('Deny statement');
  });

  it('refuses to replace a different inline policy of the same name without --force', async () => {
    const roles = await createRoles();
    const other = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'ssm:DescribeInstanceInformation',
          Resource: '*'
        }
      ]
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roles.userName,
        PolicyName: 'SSHSageMakerClientPolicy',
        PolicyDocument: JSON.stringify(other)
      })
    );
    const refused = await cli('setup', 'apply', '--user-role', roles.user);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('rerun with --force');
    const forced = await cli(
      'setup',
      'apply',
      '--user-role',
      roles.user,
      '--force'
    );
    expect(forced.code).toBe(0);
    expect((await check('--user-role', roles.user)).code).toBe(0);
  });

  it('checks the Studio case: both policies on the execution role', async () => {
    const roles = await createRoles();
    const studio = ['--sagemaker-role', roles.sagemaker, '--studio'];
    expect((await check(...studio)).code).toBe(1);
    const apply = await cli('setup', 'apply', ...studio);
    expect(apply.code).toBe(0);
    const { code, report } = await check(...studio);
    expect(code).toBe(0);
    expect(
      new Set(
        report.items
          .filter(item => item.group !== 'tier')
          .map(item => item.subject)
      )
    ).toEqual(new Set([roles.sagemaker]));
    expect((await snapshot(roles.sagemakerName)).policies.sort()).toEqual([
      'SSHSageMakerClientPolicy',
      'SSHSageMakerServerPolicy'
    ]);
  });
});

describe('sm-ssh setup --remote-access (Studio spaces)', () => {
  const PROFILE = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abcdefgh1234/alice`;
  const REMOTE_IDS = [
    'remote-access.start-session',
    'remote-access.list-spaces',
    'remote-access.describe-spaces'
  ];

  function remoteStatuses(report: IReport): Record<string, string> {
    return Object.fromEntries(
      report.items
        .filter(item => item.group === 'remote-access')
        .map(item => [item.id, item.status])
    );
  }

  it('print --remote-access shows both policies, their Sids and the note', async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/DataScientist`;
    const json = await cli(
      'setup',
      'print',
      '--sagemaker-role-arn',
      role,
      '--remote-access',
      '--space-owner-profile',
      PROFILE,
      '--json'
    );
    expect(json.code).toBe(0);
    const documents = JSON.parse(json.stdout) as Record<
      string,
      { Statement: Array<{ Sid: string; Resource: unknown }> }
    >;
    expect(documents.remoteAccessPolicy.Statement.map(s => s.Sid)).toEqual([
      'SSHRemoteAccessStartSession',
      'SSHRemoteAccessListSpaces',
      'SSHRemoteAccessDescribeSpaces'
    ]);
    expect(documents.remoteAccessPolicy.Statement[0].Resource).toBe(
      `arn:aws:sagemaker:us-east-1:${ACCOUNT}:space/d-abcdefgh1234/*`
    );
    expect(
      documents.remoteAccessEnablePolicy.Statement.map(s => s.Sid)
    ).toEqual([
      'SSHRemoteAccessEnableOnSpace',
      'SSHRemoteAccessRestartSpaceApp'
    ]);
    const human = await cli(
      'setup',
      'print',
      '--sagemaker-role-arn',
      role,
      '--remote-access'
    );
    expect(human.stdout).toContain(
      '# SSHSageMakerRemoteAccessPolicy (inline policy of the user role'
    );
    expect(human.stdout).toContain('"Sid": "SSHRemoteAccessStartSession"');
    expect(human.stdout).toContain(
      '"sagemaker:ResourceTag/sagemaker:user-profile-arn": "arn:aws:sagemaker:*:123456789012:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}"'
    );
    expect(human.stdout).toMatch(/^# note: AWS's Studio form/m);
    const plain = await cli('setup', 'print', '--sagemaker-role-arn', role);
    expect(plain.stdout).not.toContain('RemoteAccess');
  });

  describe('a laptop user role (--space-owner-profile)', () => {
    let roles: IRoles;
    let original: Awaited<ReturnType<typeof snapshot>>;
    const args = (): string[] => [
      '--user-role',
      roles.user,
      '--remote-access',
      '--space-owner-profile',
      PROFILE
    ];

    beforeAll(async () => {
      roles = await createRoles();
      original = await snapshot(roles.userName);
    });

    it('check names the missing statements with their fix, and the enable ones as warnings', async () => {
      const { code, report } = await check(...args());
      expect(code).toBe(1);
      expect(remoteStatuses(report)).toEqual({
        'remote-access.start-session': 'MISSING',
        'remote-access.list-spaces': 'MISSING',
        'remote-access.describe-spaces': 'MISSING',
        'remote-access.others-spaces': 'OK',
        'remote-access.update-space': 'WARNING',
        'remote-access.restart-app': 'WARNING'
      });
      const start = report.items.find(
        item => item.id === 'remote-access.start-session'
      );
      expect(start?.fix?.policyName).toBe('SSHSageMakerRemoteAccessPolicy');
      expect(start?.reasons[0]).toContain(
        `sagemaker:StartSession on arn:aws:sagemaker:us-east-1:${ACCOUNT}:space/d-abcdefgh1234/sm-ssh-probe-space is implicitly denied`
      );
      const human = await cli('setup', 'check', ...args());
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(
        /MISSING +start remote-access sessions on the caller's own spaces/
      );
      expect(human.stdout).toMatch(
        /WARNING +turn remote access on for the caller's own spaces/
      );
      expect(human.stdout).toContain(
        'fix: add to SSHSageMakerRemoteAccessEnablePolicy:'
      );
      expect(human.stdout).toContain('"sagemaker:RemoteAccess"');
    });

    it('apply --remote-access makes check pass; a second apply changes nothing', async () => {
      const first = await cli('setup', 'apply', ...args());
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(
        `put inline policy SSHSageMakerRemoteAccessPolicy on ${roles.userName}`
      );
      expect(first.stdout).not.toContain(
        'SSHSageMakerRemoteAccessEnablePolicy'
      );
      const { code, report } = await check(...args());
      expect(code).toBe(0);
      for (const id of REMOTE_IDS) {
        expect([id, statusOf(report, id)]).toEqual([id, 'OK']);
      }
      expect(statusOf(report, 'remote-access.others-spaces')).toBe('OK');
      expect(statusOf(report, 'remote-access.update-space')).toBe('WARNING');
      const second = await cli('setup', 'apply', ...args(), '--json');
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout).changes).toEqual([]);
      const withoutFlag = await check('--user-role', roles.user);
      expect(withoutFlag.code).toBe(0);
      expect(remoteStatuses(withoutFlag.report)).toEqual({});
    });

    it('apply --allow-enable adds the enable policy; remove takes both out', async () => {
      const result = await cli('setup', 'apply', ...args(), '--allow-enable');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        `put inline policy SSHSageMakerRemoteAccessEnablePolicy on ${roles.userName}`
      );
      const { report } = await check(...args());
      expect(Object.values(remoteStatuses(report))).toEqual(
        Array(6).fill('OK')
      );
      expect((await snapshot(roles.userName)).policies.sort()).toEqual([
        'SSHSageMakerClientPolicy',
        'SSHSageMakerRemoteAccessEnablePolicy',
        'SSHSageMakerRemoteAccessPolicy'
      ]);
      const again = await cli(
        'setup',
        'apply',
        ...args(),
        '--allow-enable',
        '--json'
      );
      expect(JSON.parse(again.stdout).changes).toEqual([]);
      await cli('setup', 'remove', '--user-role', roles.user);
      expect(await snapshot(roles.userName)).toEqual(original);
    });
  });

  it("the Studio case: AWS's variable form on the execution role", async () => {
    const roles = await createRoles();
    const studio = [
      '--sagemaker-role',
      roles.sagemaker,
      '--studio',
      '--remote-access'
    ];
    const before = await check(...studio);
    expect(before.code).toBe(1);
    expect(statusOf(before.report, 'remote-access.start-session')).toBe(
      'MISSING'
    );
    expect((await cli('setup', 'apply', ...studio)).code).toBe(0);
    const { code, report } = await check(...studio);
    expect(code).toBe(0);
    for (const id of REMOTE_IDS) {
      expect([id, statusOf(report, id, roles.sagemaker)]).toEqual([id, 'OK']);
    }
    expect((await snapshot(roles.sagemakerName)).policies.sort()).toEqual([
      'SSHSageMakerClientPolicy',
      'SSHSageMakerRemoteAccessPolicy',
      'SSHSageMakerServerPolicy'
    ]);
    // The same statements do not reach a laptop caller: its requests carry no sagemaker:DomainId.
    const laptop = await check(
      '--user-role',
      roles.sagemaker,
      '--remote-access',
      '--space-owner-profile',
      PROFILE
    );
    expect(statusOf(laptop.report, 'remote-access.start-session')).toBe(
      'MISSING'
    );
  });

  it("condition and resource are evaluated: an unconditioned StartSession warns, another domain's spaces are MISSING", async () => {
    const roles = await createRoles();
    await cli('setup', 'apply', '--user-role', roles.user);
    const put = async (resource: string) =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: roles.userName,
          PolicyName: 'Spaces',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: [
                  'sagemaker:ListSpaces',
                  'sagemaker:ListApps',
                  'sagemaker:DescribeSpace',
                  'sagemaker:DescribeApp'
                ],
                Resource: '*'
              },
              {
                Effect: 'Allow',
                Action: 'sagemaker:StartSession',
                Resource: resource
              }
            ]
          })
        })
      );
    const args = [
      '--user-role',
      roles.user,
      '--remote-access',
      '--space-owner-profile',
      PROFILE
    ];
    await put(`arn:aws:sagemaker:*:${ACCOUNT}:space/*`);
    const broad = await check(...args);
    expect(broad.code).toBe(0);
    expect(statusOf(broad.report, 'remote-access.start-session')).toBe('OK');
    expect(statusOf(broad.report, 'remote-access.others-spaces')).toBe(
      'WARNING'
    );
    await put(`arn:aws:sagemaker:*:${ACCOUNT}:space/d-other/*`);
    const other = await check(...args);
    expect(other.code).toBe(1);
    expect(statusOf(other.report, 'remote-access.start-session')).toBe(
      'MISSING'
    );
    expect(statusOf(other.report, 'remote-access.others-spaces')).toBe('OK');
  });

  it.each([
    [
      ['--user-role', `arn:aws:iam::${ACCOUNT}:role/R`, '--remote-access'],
      /outside Studio needs the user profile/
    ],
    [
      [
        '--user-role',
        `arn:aws:iam::${ACCOUNT}:role/R`,
        '--space-owner-profile',
        PROFILE
      ],
      /--space-owner-profile only means something with --remote-access/
    ],
    [
      [
        '--user-role',
        `arn:aws:iam::${ACCOUNT}:role/R`,
        '--remote-access',
        '--space-owner-profile',
        'arn:aws:sagemaker:us-east-1:123456789012:space/d-abcdefgh1234/s'
      ],
      /is not a SageMaker user profile ARN/
    ]
  ])('refuses %j with a one-line UsageError', async (args, message) => {
    const roles = await createRoles();
    const result = await cli(
      'setup',
      'check',
      ...args.map(arg => arg.replace(':role/R', `:role/${roles.userName}`))
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('whose role is checked', () => {
  it("without role arguments checks the caller's own assumed role as the client", async () => {
    const roles = await createRoles();
    await cli('setup', 'apply', '--user-role', roles.user);
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: cloud.motoUrl,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' }
    });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: roles.user, RoleSessionName: 'alice' })
    );
    const asAlice = {
      ...cloud.env,
      AWS_ACCESS_KEY_ID: Credentials?.AccessKeyId as string,
      AWS_SECRET_ACCESS_KEY: Credentials?.SecretAccessKey as string,
      AWS_SESSION_TOKEN: Credentials?.SessionToken as string
    };
    const result = await runCli(['setup', 'check', '--json'], asAlice);
    const report = JSON.parse(result.stdout) as IReport & { userRole: string };
    expect(report.userRole).toBe(roles.user);
    expect(
      new Set(
        report.items
          .filter(item => item.group !== 'tier')
          .map(item => item.group)
      )
    ).toEqual(new Set(['client']));
    expect(
      report.items
        .filter(item => item.status === 'MISSING')
        .map(item => item.id)
    ).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses a caller that is not an assumed role, saying which flag to pass', async () => {
    const result = await cli('setup', 'check');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not an assumed role');
    expect(result.stderr).toContain('--user-role');
  });

  it('sees a permissions boundary that lacks an action', async () => {
    const roles = await createRoles();
    await cli('setup', 'apply', '--user-role', roles.user);
    const boundary = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: 'ssm:StartSession', Resource: '*' }
      ]
    };
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `NoSessionsBoundary-${roles.userName}`,
        PolicyDocument: JSON.stringify(boundary)
      })
    );
    await iam.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: roles.userName,
        PermissionsBoundary: Policy?.Arn
      })
    );
    const { code, report } = await check('--user-role', roles.user);
    expect(code).toBe(1);
    const own = report.items.find(item => item.id === 'client.own-instances');
    expect(own?.status).toBe('MISSING');
    expect(own?.reasons.join('\n')).toContain(
      `permissions boundary ${Policy?.Arn} does not allow it`
    );
  });
});

describe('bad input: one line, exit code 2, no stack trace', () => {
  it.each([
    [
      ['setup', 'check', '--sagemaker-role', 'not-an-arn'],
      /--sagemaker-role "not-an-arn" is not an ARN/
    ],
    [
      [
        'setup',
        'print',
        '--sagemaker-role-arn',
        'arn:aws:iam::123456789012:role/R',
        '--partition',
        'aws-mars'
      ],
      /unknown partition "aws-mars"/
    ],
    [
      [
        'setup',
        'check',
        '--user-role',
        'arn:aws:iam::123456789012:role/R',
        '--regions',
        'us-nowhere-1'
      ],
      /--regions "us-nowhere-1" is not an AWS region/
    ],
    [
      [
        'setup',
        'check',
        '--user-role',
        'arn:aws:iam::123456789012:role/DoesNotExist'
      ],
      /role "DoesNotExist" does not exist in account 123456789012/
    ],
    [
      [
        'setup',
        'check',
        '--user-role',
        'arn:aws:iam::123456789012:role/R',
        '--region',
        'mars-1'
      ],
      /--region "mars-1" is not an AWS region/
    ],
    [
      ['setup', 'print'],
      /required option '--sagemaker-role-arn <arn>' not specified/
    ],
    [['setup', 'check', '--evaluator', 'magic'], /argument 'magic' is invalid/]
  ])('%j', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('no credentials', async () => {
    const env = {
      ...cloud.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: ''
    };
    const result = await runCli(
      ['setup', 'check', '--user-role', 'arn:aws:iam::123456789012:role/R'],
      env
    );
    expect(result.stderr).toMatch(
      /^sm-ssh: error: no AWS credentials found\n {2}hint: /
    );
    expect(result.code).toBe(2);
  });
});
