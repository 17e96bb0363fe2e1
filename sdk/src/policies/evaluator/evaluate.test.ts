import { CLIENT_POLICY_NAME, clientPolicy, trustPolicy } from '../documents.js';
import type {
  INamedPolicy,
  IPolicyDocument,
  IPolicyStatement,
  PrincipalBlock
} from '../types.js';
import {
  evaluateIdentityPolicies,
  evaluateTrustPolicy,
  statementApplies,
  type EvaluationResult,
  type IRequestContext,
  type IRequestPrincipal
} from './index.js';

const ACCOUNT = '123456789012';
const INSTANCE = `arn:aws:ssm:us-east-1:${ACCOUNT}:managed-instance/mi-0123456789abcdef0`;
const ALICE = 'AROAEXAMPLEROLEID:alice';

function named(name: string, ...statements: IPolicyStatement[]): INamedPolicy {
  return { name, document: { Version: '2012-10-17', Statement: statements } };
}

function request(
  action: string,
  resource: string,
  context: IRequestContext['context'] = {}
): IRequestContext {
  return { action, resource, context };
}

const client: INamedPolicy = {
  name: CLIENT_POLICY_NAME,
  document: clientPolicy({ account: ACCOUNT })
};
const startSession = (
  owner: string | undefined,
  userid = ALICE
): IRequestContext =>
  request(
    'ssm:StartSession',
    INSTANCE,
    owner === undefined
      ? { 'aws:userid': userid }
      : { 'aws:userid': userid, 'ssm:resourceTag/SSHOwner': owner }
  );

describe('the product’s policies', () => {
  it('the client policy allows ssm:StartSession on the user’s own managed instance', () => {
    const decision = evaluateIdentityPolicies([client], startSession(ALICE));
    expect(decision.result).toBe('Allowed');
    expect(decision.matchedStatements).toEqual([
      { policy: CLIENT_POLICY_NAME, statementIndex: 1, effect: 'Allow' }
    ]);
    expect(decision.reasons[0]).toBe(
      `ssm:StartSession on ${INSTANCE} is allowed by ${CLIENT_POLICY_NAME} statement 2`
    );
  });

  it('the client policy does not allow ssm:StartSession on someone else’s instance, and says why', () => {
    const decision = evaluateIdentityPolicies(
      [client],
      startSession('AROAX:bob', 'AROAX:alice')
    );
    expect(decision.result).toBe('ImplicitDeny');
    expect(decision.matchedStatements).toEqual([]);
    expect(decision.reasons).toContain(
      `${CLIENT_POLICY_NAME} statement 2 does not apply: condition StringEquals ssm:resourceTag/SSHOwner: "AROAX:bob" is not "AROAX:alice"`
    );
  });

  it('the client policy does not allow ssm:StartSession on an untagged instance', () => {
    expect(
      evaluateIdentityPolicies([client], startSession(undefined)).result
    ).toBe('ImplicitDeny');
  });

  it('the client policy does not allow the instance of another account', () => {
    const decision = evaluateIdentityPolicies([client], {
      ...startSession(ALICE),
      resource: INSTANCE.replace(ACCOUNT, '210987654321')
    });
    expect(decision.result).toBe('ImplicitDeny');
  });

  it('the client policy allows ssm:StartSession with the AWS-StartSSHSession document', () => {
    const decision = evaluateIdentityPolicies(
      [client],
      request(
        'ssm:StartSession',
        'arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession'
      )
    );
    expect(decision.result).toBe('Allowed');
    expect(decision.matchedStatements[0].statementIndex).toBe(3);
  });

  it('the client policy allows ssm:DescribeInstanceInformation on "*" but not ssm:DeleteActivation', () => {
    expect(
      evaluateIdentityPolicies(
        [client],
        request('ssm:DescribeInstanceInformation', '*')
      ).result
    ).toBe('Allowed');
    expect(
      evaluateIdentityPolicies([client], request('ssm:DeleteActivation', '*'))
        .result
    ).toBe('ImplicitDeny');
  });

  it('ssm:* on * allows the same session whatever the tag', () => {
    const admin = named('SSMFull', {
      Effect: 'Allow',
      Action: 'ssm:*',
      Resource: '*'
    });
    expect(
      evaluateIdentityPolicies([admin], startSession('AROAX:bob')).result
    ).toBe('Allowed');
  });

  it('a Deny statement overrides the client policy’s Allow', () => {
    const guard = named('NoSessions', {
      Sid: 'NoSSM',
      Effect: 'Deny',
      Action: 'ssm:StartSession',
      Resource: '*'
    });
    const decision = evaluateIdentityPolicies(
      [client, guard],
      startSession(ALICE)
    );
    expect(decision.result).toBe('ExplicitDeny');
    expect(decision.matchedStatements).toEqual([
      { policy: 'NoSessions', statementIndex: 0, sid: 'NoSSM', effect: 'Deny' },
      { policy: CLIENT_POLICY_NAME, statementIndex: 1, effect: 'Allow' }
    ]);
    expect(decision.reasons[0]).toBe(
      `ssm:StartSession on ${INSTANCE} is explicitly denied by NoSessions statement 1 (NoSSM)`
    );
  });

  it('a permissions boundary that lacks the action denies it', () => {
    const boundary = named('Boundary', {
      Effect: 'Allow',
      Action: ['ssm:Describe*', 'logs:*'],
      Resource: '*'
    });
    const decision = evaluateIdentityPolicies([client], startSession(ALICE), {
      permissionsBoundary: boundary
    });
    expect(decision.result).toBe('ImplicitDeny');
    expect(decision.reasons[0]).toBe(
      `ssm:StartSession on ${INSTANCE} is implicitly denied: permissions boundary Boundary does not allow it`
    );
  });

  it('a permissions boundary that has the action lets the identity policy decide', () => {
    const boundary = named('Boundary', {
      Effect: 'Allow',
      Action: 'ssm:*',
      Resource: '*'
    });
    expect(
      evaluateIdentityPolicies([client], startSession(ALICE), {
        permissionsBoundary: boundary
      }).result
    ).toBe('Allowed');
    expect(
      evaluateIdentityPolicies([client], startSession('AROAX:bob'), {
        permissionsBoundary: boundary
      }).result
    ).toBe('ImplicitDeny');
  });

  it('the SageMaker role’s trust policy lets ssm.amazonaws.com assume the role', () => {
    const trust: INamedPolicy = {
      name: 'SageMakerRoleTrust',
      document: trustPolicy()
    };
    const role = `arn:aws:iam::${ACCOUNT}:role/SageMakerRole`;
    const ssm = evaluateTrustPolicy(trust, {
      action: 'sts:AssumeRole',
      resource: role,
      principal: { type: 'Service', id: 'ssm.amazonaws.com' }
    });
    expect(ssm.result).toBe('Allowed');
    expect(ssm.matchedStatements).toEqual([
      { policy: 'SageMakerRoleTrust', statementIndex: 1, effect: 'Allow' }
    ]);
    const ec2 = evaluateTrustPolicy(trust, {
      action: 'sts:AssumeRole',
      resource: role,
      principal: { type: 'Service', id: 'ec2.amazonaws.com' }
    });
    expect(ec2.result).toBe('ImplicitDeny');
    const tag = evaluateTrustPolicy(trust, {
      action: 'sts:TagSession',
      resource: role,
      principal: { type: 'Service', id: 'ssm.amazonaws.com' }
    });
    expect(tag.result).toBe('ImplicitDeny');
  });
});

const EVAL = 'Policy evaluation logic';
const NOT_ACTION = 'IAM JSON policy elements: NotAction';
const NOT_RESOURCE = 'IAM JSON policy elements: NotResource';
const PRINCIPAL = 'AWS JSON policy elements: Principal';
const VARS = 'IAM policy elements: Variables and tags';
const BOUNDARY = 'Permissions boundaries for IAM entities';

type DocRow = [
  string,
  INamedPolicy[],
  IRequestContext,
  'Allowed' | 'ImplicitDeny' | 'ExplicitDeny',
  (INamedPolicy | null)?
];

const notIam = named('NotIAM', {
  Effect: 'Allow',
  NotAction: 'iam:*',
  Resource: '*'
});
const mfa = named('RequireMFA', {
  Sid: 'DenyAllExceptListedIfNoMFA',
  Effect: 'Deny',
  NotAction: [
    'iam:CreateVirtualMFADevice',
    'iam:EnableMFADevice',
    'iam:ListMFADevices',
    'sts:GetSessionToken'
  ],
  Resource: '*',
  Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }
});
const everything = named('Admin', {
  Effect: 'Allow',
  Action: '*',
  Resource: '*'
});
const payroll = named('HRBucket', {
  Effect: 'Deny',
  Action: 's3:*',
  NotResource: [
    'arn:aws:s3:::HRBucket/Payroll',
    'arn:aws:s3:::HRBucket/Payroll/*'
  ]
});
const home = named('HomeFolder', {
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*'
});

const docRows: DocRow[] = [
  [
    `${EVAL} — requests are implicitly denied by default`,
    [],
    request('s3:ListBucket', 'arn:aws:s3:::b'),
    'ImplicitDeny'
  ],
  [
    `${EVAL} — an Allow that applies allows`,
    [everything],
    request('s3:ListBucket', 'arn:aws:s3:::b'),
    'Allowed'
  ],
  [
    `${EVAL} — an explicit deny overrides an explicit allow`,
    [everything, named('D', { Effect: 'Deny', Action: 's3:*', Resource: '*' })],
    request('s3:ListBucket', 'arn:aws:s3:::b'),
    'ExplicitDeny'
  ],
  [
    `${EVAL} — a Deny whose condition does not hold does not deny`,
    [
      everything,
      named('D', {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } }
      })
    ],
    request('s3:GetObject', 'arn:aws:s3:::b/k', {
      'aws:SecureTransport': true
    }),
    'Allowed'
  ],
  [
    `${NOT_ACTION} — Allow with NotAction iam:* allows other services`,
    [notIam],
    request('s3:GetObject', 'arn:aws:s3:::b/k'),
    'Allowed'
  ],
  [
    `${NOT_ACTION} — Allow with NotAction iam:* does not allow IAM`,
    [notIam],
    request('iam:CreateUser', 'arn:aws:iam::123456789012:user/x'),
    'ImplicitDeny'
  ],
  [
    `${NOT_ACTION} — Deny NotAction without MFA denies other actions`,
    [everything, mfa],
    request('ec2:RunInstances', '*'),
    'ExplicitDeny'
  ],
  [
    `${NOT_ACTION} — Deny NotAction without MFA leaves the listed actions`,
    [everything, mfa],
    request('iam:EnableMFADevice', '*'),
    'Allowed'
  ],
  [
    `${NOT_ACTION} — Deny NotAction is lifted with MFA`,
    [everything, mfa],
    request('ec2:RunInstances', '*', { 'aws:MultiFactorAuthPresent': 'true' }),
    'Allowed'
  ],
  [
    `${NOT_RESOURCE} — Deny with NotResource denies resources outside the list`,
    [everything, payroll],
    request('s3:GetObject', 'arn:aws:s3:::OtherBucket/x'),
    'ExplicitDeny'
  ],
  [
    `${NOT_RESOURCE} — Deny with NotResource leaves the listed resources`,
    [everything, payroll],
    request('s3:GetObject', 'arn:aws:s3:::HRBucket/Payroll/2024.csv'),
    'Allowed'
  ],
  [
    `${NOT_RESOURCE} — Allow with NotResource allows everything else`,
    [
      named('A', {
        Effect: 'Allow',
        Action: 's3:*',
        NotResource: 'arn:aws:s3:::secret/*'
      })
    ],
    request('s3:GetObject', 'arn:aws:s3:::public/x'),
    'Allowed'
  ],
  [
    `${NOT_RESOURCE} — Allow with NotResource does not allow the listed resources`,
    [
      named('A', {
        Effect: 'Allow',
        Action: 's3:*',
        NotResource: 'arn:aws:s3:::secret/*'
      })
    ],
    request('s3:GetObject', 'arn:aws:s3:::secret/x'),
    'ImplicitDeny'
  ],
  [
    `${VARS} — \${aws:username} in Resource grants the user’s own folder`,
    [home],
    request(
      's3:GetObject',
      'arn:aws:s3:::amzn-s3-demo-bucket/home/alice/a.txt',
      { 'aws:username': 'alice' }
    ),
    'Allowed'
  ],
  [
    `${VARS} — \${aws:username} in Resource refuses another user’s folder`,
    [home],
    request('s3:GetObject', 'arn:aws:s3:::amzn-s3-demo-bucket/home/bob/a.txt', {
      'aws:username': 'alice'
    }),
    'ImplicitDeny'
  ],
  [
    `${VARS} — a variable with no value makes the statement not apply`,
    [home],
    request(
      's3:GetObject',
      'arn:aws:s3:::amzn-s3-demo-bucket/home/alice/a.txt'
    ),
    'ImplicitDeny'
  ],
  [
    `${VARS} — a default value stands in for a missing key`,
    [
      named('T', {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource:
          "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}/*"
      })
    ],
    request('s3:GetObject', 'arn:aws:s3:::amzn-s3-demo-bucket-company-wide/x'),
    'Allowed'
  ],
  [
    `${VARS} — variables are literal text in policy version 2008-10-17`,
    [
      {
        name: 'Old',
        document: {
          Version: '2008-10-17',
          Statement: {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::b/${aws:username}/*'
          }
        }
      }
    ],
    request('s3:GetObject', 'arn:aws:s3:::b/alice/x', {
      'aws:username': 'alice'
    }),
    'ImplicitDeny'
  ],
  [
    `${BOUNDARY} — the boundary’s explicit deny denies`,
    [everything],
    request('iam:DeleteUser', '*'),
    'ExplicitDeny',
    named(
      'B',
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:*', Resource: '*' }
    )
  ],
  [
    `${BOUNDARY} — the boundary alone grants nothing`,
    [],
    request('s3:GetObject', '*'),
    'ImplicitDeny',
    named('B', { Effect: 'Allow', Action: '*', Resource: '*' })
  ],
  [
    `${BOUNDARY} — allowed by both the identity policy and the boundary`,
    [named('P', { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
    request('s3:GetObject', '*'),
    'Allowed',
    named('B', { Effect: 'Allow', Action: 's3:*', Resource: '*' })
  ]
];

describe('cases from AWS’s documentation', () => {
  // Every row gets five cells: with fewer, jest would pass its `done` callback as the boundary.
  it.each(
    docRows.map(
      ([title, policies, req, expected, boundary]) =>
        [title, policies, req, expected, boundary ?? null] as const
    )
  )('%s', (_title, policies, req, expected, boundary) => {
    const options = boundary === null ? {} : { permissionsBoundary: boundary };
    expect(evaluateIdentityPolicies(policies, req, options).result).toBe(
      expected
    );
  });

  const role = `arn:aws:iam::${ACCOUNT}:role/path/Target`;
  const assume = (
    principal: IRequestContext['principal']
  ): IRequestContext => ({
    action: 'sts:AssumeRole',
    resource: role,
    principal
  });
  const trust = (statement: IPolicyStatement): INamedPolicy =>
    named('Trust', statement);

  const principalRows: [
    string,
    PrincipalBlock,
    IRequestPrincipal,
    EvaluationResult
  ][] = [
    [
      `${PRINCIPAL} — an account ID delegates to every principal of the account`,
      { AWS: ACCOUNT },
      { type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/Caller` },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — the account root ARN is the same as the account ID`,
      { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      { type: 'AWS', id: `arn:aws:sts::${ACCOUNT}:assumed-role/Caller/s` },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — another account is not covered`,
      { AWS: ACCOUNT },
      { type: 'AWS', id: 'arn:aws:iam::210987654321:role/Caller' },
      'ImplicitDeny'
    ],
    [
      `${PRINCIPAL} — a role ARN covers that role’s sessions`,
      { AWS: `arn:aws:iam::${ACCOUNT}:role/Caller` },
      {
        type: 'AWS',
        id: `arn:aws:sts::${ACCOUNT}:assumed-role/Caller/session`
      },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — a role ARN does not cover another role`,
      { AWS: `arn:aws:iam::${ACCOUNT}:role/Caller` },
      { type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/Other` },
      'ImplicitDeny'
    ],
    [
      `${PRINCIPAL} — "*" is everyone`,
      '*',
      { type: 'Service', id: 'lambda.amazonaws.com' },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — {"AWS": "*"} is every AWS principal`,
      { AWS: '*' },
      { type: 'AWS', id: '999999999999' },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — a service principal in a list`,
      { Service: ['sagemaker.amazonaws.com', 'ssm.amazonaws.com'] },
      { type: 'Service', id: 'ssm.amazonaws.com' },
      'Allowed'
    ],
    [
      `${PRINCIPAL} — a service principal does not match an AWS principal`,
      { Service: 'ssm.amazonaws.com' },
      { type: 'AWS', id: ACCOUNT },
      'ImplicitDeny'
    ]
  ];
  it.each(principalRows)('%s', (_title, principal, requester, expected) => {
    const decision = evaluateTrustPolicy(
      trust({
        Effect: 'Allow',
        Principal: principal,
        Action: 'sts:AssumeRole'
      }),
      assume(requester)
    );
    expect(decision.result).toBe(expected);
  });

  it(`${PRINCIPAL} — NotPrincipal with Deny denies everyone except the named principal`, () => {
    const policy: INamedPolicy = named(
      'Trust',
      {
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT },
        Action: 'sts:AssumeRole'
      },
      {
        Effect: 'Deny',
        NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Admin` },
        Action: 'sts:AssumeRole'
      }
    );
    expect(
      evaluateTrustPolicy(
        policy,
        assume({ type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/Admin` })
      ).result
    ).toBe('Allowed');
    expect(
      evaluateTrustPolicy(
        policy,
        assume({ type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/Dev` })
      ).result
    ).toBe('ExplicitDeny');
  });

  it(`${PRINCIPAL} — a trust policy statement without Principal does not apply`, () => {
    const decision = evaluateTrustPolicy(
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole' }),
      assume({ type: 'AWS', id: ACCOUNT })
    );
    expect(decision.result).toBe('ImplicitDeny');
    expect(decision.reasons).toContain(
      'Trust statement 1 does not apply: a resource-based policy statement needs a Principal or NotPrincipal'
    );
  });
});

describe('statementApplies', () => {
  const base: IPolicyStatement = {
    Effect: 'Allow',
    Action: 'ssm:StartSession',
    Resource: INSTANCE
  };

  it('applies when action and resource match, and explains a mismatch', () => {
    expect(
      statementApplies(base, request('ssm:StartSession', INSTANCE))
    ).toEqual({ applies: true });
    expect(
      statementApplies(base, request('ssm:SendCommand', INSTANCE))
    ).toEqual({
      applies: false,
      reason: 'action ssm:SendCommand is not in Action "ssm:StartSession"'
    });
  });

  it('an unknown condition operator makes the statement not apply instead of throwing', () => {
    const outcome = statementApplies(
      { ...base, Condition: { StringMaybe: { 'aws:username': 'x' } } },
      request('ssm:StartSession', INSTANCE)
    );
    expect(outcome).toEqual({
      applies: false,
      reason: 'unknown condition operator "StringMaybe"'
    });
  });

  it('malformed statements do not apply', () => {
    const weird = [
      { Effect: 'Permit', Action: '*', Resource: '*' },
      { Effect: 'Allow', Resource: '*' },
      { Effect: 'Allow', Action: '*', NotAction: 's3:*', Resource: '*' },
      { Effect: 'Allow', Action: [42], Resource: '*' },
      { Effect: 'Allow', Action: '*', Resource: '*', NotResource: 'x' }
    ] as unknown as IPolicyStatement[];
    for (const statement of weird) {
      expect(
        statementApplies(statement, request('ssm:StartSession', INSTANCE))
          .applies
      ).toBe(false);
    }
  });

  it('identity-based policies refuse statements that name a Principal or lack a Resource', () => {
    const decision = evaluateIdentityPolicies(
      [
        named(
          'P',
          { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
          { Effect: 'Allow', Action: '*' }
        )
      ],
      request('s3:GetObject', '*')
    );
    expect(decision.result).toBe('ImplicitDeny');
    expect(decision.reasons.slice(1)).toEqual([
      'P statement 1 does not apply: an identity-based policy cannot name a Principal or NotPrincipal',
      'P statement 2 does not apply: the statement has neither Resource nor NotResource'
    ]);
  });

  it('a policy document with a single statement object is read like a list', () => {
    const document: IPolicyDocument = {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 'ssm:*', Resource: '*' }
    };
    expect(
      evaluateIdentityPolicies(
        [{ name: 'One', document }],
        request('ssm:StartSession', INSTANCE)
      ).result
    ).toBe('Allowed');
  });

  it('throws a TypeError only on programmer misuse', () => {
    expect(() => statementApplies(base, { action: '', resource: '*' })).toThrow(
      TypeError
    );
    expect(() =>
      statementApplies(null as unknown as IPolicyStatement, request('a:b', '*'))
    ).toThrow(TypeError);
    expect(() =>
      evaluateIdentityPolicies(
        {} as unknown as INamedPolicy[],
        request('a:b', '*')
      )
    ).toThrow(TypeError);
    expect(() =>
      evaluateTrustPolicy(named('T', base), request('sts:AssumeRole', '*'))
    ).toThrow(TypeError);
    expect(() =>
      statementApplies(base, {
        action: 'a:b',
        resource: '*',
        principal: { type: 'Robot', id: 'x' }
      } as unknown as IRequestContext)
    ).toThrow(TypeError);
  });
});
