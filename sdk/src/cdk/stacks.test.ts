import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { aws_iam as iam } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { UsageError } from '../errors.js';
import {
  ACTIVATION_TIER_SETTING_ID,
  CLIENT_POLICY_NAME,
  SERVER_POLICY_NAME,
  clientPolicy,
  serverPolicy,
  ssmTrustStatement
} from '../policies/documents.js';
import { buildIamApp, buildTierApp } from './app.js';
import {
  IAM_STACK_NAME,
  SshIamSsmStack,
  SsmAdvancedTierStack,
  TIER_RESOURCE_TYPE,
  TIER_STACK_NAME,
  TRUST_RESOURCE_TYPE
} from './stacks.js';
import { trustHandlerCode } from './trust-handler.js';

// CDK's built-in template validation (a WASM engine, ~6 s a synth) is covered once, in its own test below.
const savedValidation = process.env.CDK_VALIDATION;
process.env.CDK_VALIDATION = 'false';
/** Every app writes under this directory, removed after the tests (an App without outdir leaves a cdk.out* in /tmp). */
const OUT_ROOT = mkdtempSync(join(tmpdir(), 'sm-ssh-cdk-test-'));
let apps = 0;
const newOutdir = (): string => join(OUT_ROOT, `app${apps++}`);
afterAll(() => {
  rmSync(OUT_ROOT, { recursive: true, force: true });
  if (savedValidation === undefined) {
    delete process.env.CDK_VALIDATION;
  } else {
    process.env.CDK_VALIDATION = savedValidation;
  }
});

const SAGEMAKER_ROLE =
  'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';
const SAGEMAKER_ROLE_NAME = 'AmazonSageMaker-ExecutionRole-20240101T000000';
const USER_ROLE = 'arn:aws:iam::123456789012:role/DataScientist';

function iamStack(
  sagemakerRole = SAGEMAKER_ROLE,
  userRole = USER_ROLE
): SshIamSsmStack {
  return buildIamApp({
    outdir: newOutdir(),
    context: { sagemaker_role: sagemakerRole, user_role: userRole }
  }).stack;
}

/** The one resource of a type with the given property value. */
function resourceWith(
  template: Template,
  type: string,
  key: string,
  value: unknown
): { Properties: Record<string, unknown> } {
  const matches = Object.values(
    template.findResources(type, { Properties: { [key]: value } })
  );
  expect(matches).toHaveLength(1);
  return matches[0] as { Properties: Record<string, unknown> };
}

describe('SSH-IAM-SSM-Stack', () => {
  const stack = iamStack();
  const template = Template.fromStack(stack);

  it('is named as in the guide and has no environment', () => {
    expect(stack.stackName).toBe(IAM_STACK_NAME);
    expect(cdk.Token.isUnresolved(stack.account)).toBe(true);
    expect(cdk.Token.isUnresolved(stack.region)).toBe(true);
  });

  it('puts SSHSageMakerServerPolicy on the SageMaker role, byte for byte the guide document', () => {
    template.resourceCountIs('AWS::IAM::Policy', 2);
    const policy = resourceWith(
      template,
      'AWS::IAM::Policy',
      'PolicyName',
      SERVER_POLICY_NAME
    );
    expect(policy.Properties.Roles).toEqual([SAGEMAKER_ROLE_NAME]);
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toBe(
      JSON.stringify(serverPolicy({ sagemakerRoleArn: SAGEMAKER_ROLE }))
    );
    // The role ARN keeps its path in the document.
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(
      '"Resource":"arn:aws:iam::123456789012:role/service-role/'
    );
  });

  it('puts SSHSageMakerClientPolicy on the user role, byte for byte the guide document', () => {
    const policy = resourceWith(
      template,
      'AWS::IAM::Policy',
      'PolicyName',
      CLIENT_POLICY_NAME
    );
    expect(policy.Properties.Roles).toEqual(['DataScientist']);
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toBe(
      JSON.stringify(clientPolicy({ sagemakerRoleArn: SAGEMAKER_ROLE }))
    );
  });

  it('creates no role policy other than the trust handler role own inline policies, and no managed policy', () => {
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.resourceCountIs('AWS::IAM::Role', 1);
  });

  it('extends the SageMaker role trust through the custom resource', () => {
    template.resourceCountIs(TRUST_RESOURCE_TYPE, 1);
    const functionId = stack.getLogicalId(
      stack.trustHandler.node.defaultChild as cdk.CfnElement
    );
    template.hasResourceProperties(TRUST_RESOURCE_TYPE, {
      ServiceToken: { 'Fn::GetAtt': [functionId, 'Arn'] },
      ServiceTimeout: '300',
      RoleName: SAGEMAKER_ROLE_NAME,
      Statement: JSON.stringify(ssmTrustStatement())
    });
  });

  it('runs the tested handler code inline on Node.js 24', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Code: { ZipFile: trustHandlerCode() },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } }
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30
    });
  });

  it('lets the trust handler only read and update that one role, and write its own log group', () => {
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0] as {
      Properties: Record<string, unknown>;
    };
    const logGroupId = Object.keys(
      template.findResources('AWS::Logs::LogGroup')
    )[0];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    });
    expect(role.Properties.Policies).toEqual([
      {
        PolicyName: 'EditSageMakerRoleTrust',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['iam:GetRole', 'iam:UpdateAssumeRolePolicy'],
              Resource: SAGEMAKER_ROLE
            }
          ]
        }
      },
      {
        PolicyName: 'WriteOwnLogs',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] }
            }
          ]
        }
      }
    ]);
  });

  it('refuses to deploy to another account or partition than the roles', () => {
    expect(
      template.toJSON().Rules.RolesInThisAccount.Assertions[0].Assert
    ).toEqual({
      'Fn::And': [
        { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '123456789012'] },
        { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] }
      ]
    });
  });

  it('takes partition and account from the role ARNs (China)', () => {
    const china = Template.fromStack(
      iamStack(
        'arn:aws-cn:iam::210987654321:role/SageMaker',
        'arn:aws-cn:iam::210987654321:role/User'
      )
    );
    const client = resourceWith(
      china,
      'AWS::IAM::Policy',
      'PolicyName',
      CLIENT_POLICY_NAME
    );
    expect(client.Properties.PolicyDocument).toEqual(
      clientPolicy({
        sagemakerRoleArn: 'arn:aws-cn:iam::210987654321:role/SageMaker'
      })
    );
    expect(JSON.stringify(client.Properties.PolicyDocument)).toContain(
      'arn:aws-cn:ssm:*:210987654321:managed-instance/mi-*'
    );
  });
});

describe('SSH-IAM-SSM-Stack for SageMaker Studio (same role twice)', () => {
  const template = Template.fromStack(iamStack(SAGEMAKER_ROLE, SAGEMAKER_ROLE));

  it('puts both policies on the SageMaker role', () => {
    template.resourceCountIs('AWS::IAM::Policy', 2);
    expect(
      resourceWith(
        template,
        'AWS::IAM::Policy',
        'PolicyName',
        SERVER_POLICY_NAME
      ).Properties.Roles
    ).toEqual([SAGEMAKER_ROLE_NAME]);
    expect(
      resourceWith(
        template,
        'AWS::IAM::Policy',
        'PolicyName',
        CLIENT_POLICY_NAME
      ).Properties.Roles
    ).toEqual([SAGEMAKER_ROLE_NAME]);
    template.resourceCountIs(TRUST_RESOURCE_TYPE, 1);
  });
});

describe('context validation', () => {
  const messageOf = (context: Record<string, unknown>): string => {
    try {
      buildIamApp({ outdir: newOutdir(), context });
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      const message = (error as UsageError).message;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error('no error');
  };

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'missing sagemaker_role',
      { user_role: USER_ROLE },
      /^missing -c sagemaker_role=<role ARN>$/
    ],
    [
      'missing user_role',
      { sagemaker_role: SAGEMAKER_ROLE },
      /^missing -c user_role=<role ARN>$/
    ],
    [
      'empty sagemaker_role',
      { sagemaker_role: '', user_role: USER_ROLE },
      /-c sagemaker_role=/
    ],
    [
      'not an ARN',
      { sagemaker_role: 'AmazonSageMaker-ExecutionRole', user_role: USER_ROLE },
      /-c sagemaker_role=… "AmazonSageMaker-ExecutionRole" is not an ARN/
    ],
    [
      'a user ARN',
      {
        sagemaker_role: 'arn:aws:iam::123456789012:user/bob',
        user_role: USER_ROLE
      },
      /-c sagemaker_role=… .* names a user, not a role/
    ],
    [
      'a malformed user_role',
      { sagemaker_role: SAGEMAKER_ROLE, user_role: 'arn:aws:iam::12:role/x' },
      /-c user_role=… /
    ],
    [
      'not a string',
      { sagemaker_role: 42, user_role: USER_ROLE },
      /-c sagemaker_role=… must be a role ARN/
    ],
    [
      'roles in two accounts',
      {
        sagemaker_role: SAGEMAKER_ROLE,
        user_role: 'arn:aws:iam::210987654321:role/DataScientist'
      },
      /-c user_role=arn:aws:iam::210987654321:role\/DataScientist is not in the account of -c sagemaker_role=/
    ]
  ])('%s', (_, context, expected) => {
    expect(messageOf(context)).toMatch(expected);
  });

  it('validates the props of the stack class too', () => {
    expect(
      () =>
        new SshIamSsmStack(new cdk.App({ outdir: newOutdir() }), 'S', {
          sagemakerRoleArn: 'x',
          userRoleArn: USER_ROLE
        })
    ).toThrow(UsageError);
  });
});

describe('sagemaker-ssh/cdk exports', () => {
  it('exports the stack classes and the app builders', async () => {
    const api = await import('./index.js');
    expect(api.SshIamSsmStack).toBe(SshIamSsmStack);
    expect(api.SsmAdvancedTierStack).toBe(SsmAdvancedTierStack);
    expect(typeof api.buildIamApp).toBe('function');
    expect(typeof api.buildTierApp).toBe('function');
  });

  it('lets the stacks be added to an own app, with an environment', () => {
    const app = new cdk.App({ outdir: newOutdir() });
    const env = { account: '123456789012', region: 'eu-west-1' };
    new SshIamSsmStack(app, 'Iam', {
      env,
      sagemakerRoleArn: SAGEMAKER_ROLE,
      userRoleArn: SAGEMAKER_ROLE
    });
    const tier = new SsmAdvancedTierStack(app, 'Tier', {
      env,
      stackName: 'Tier-eu-west-1'
    });
    expect(tier.stackName).toBe('Tier-eu-west-1');
    Template.fromStack(tier).resourceCountIs(TIER_RESOURCE_TYPE, 1);
  });
});

describe('SSM-Advanced-Tier-Stack', () => {
  const { stack } = buildTierApp({ outdir: newOutdir() });
  const template = Template.fromStack(stack);
  const settingArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ssm:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:servicesetting${ACTIVATION_TIER_SETTING_ID}`
      ]
    ]
  };

  it('is named as in the guide and has no environment', () => {
    expect(stack.stackName).toBe(TIER_STACK_NAME);
    expect(cdk.Token.isUnresolved(stack.region)).toBe(true);
  });

  it('sets /ssm/managed-instance/activation-tier to advanced on create and update, and leaves it on delete', () => {
    template.resourceCountIs(TIER_RESOURCE_TYPE, 1);
    const call = Match.serializedJson({
      service: 'SSM',
      action: 'updateServiceSetting',
      parameters: {
        SettingId: ACTIVATION_TIER_SETTING_ID,
        SettingValue: 'advanced'
      },
      physicalResourceId: { id: ACTIVATION_TIER_SETTING_ID }
    });
    template.hasResourceProperties(TIER_RESOURCE_TYPE, {
      Create: call,
      Update: call,
      Delete: Match.absent(),
      InstallLatestAwsSdk: false
    });
  });

  it('allows ssm:UpdateServiceSetting on that one setting only', () => {
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'ssm:UpdateServiceSetting',
            Resource: settingArn
          }
        ]
      }
    });
    expect(stack.resolve(stack.settingArn)).toEqual(settingArn);
  });

  it('gives the provider Lambda its own role without managed policies', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent()
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9]\\d)\\.x$')
    });
  });
});

/** `[rule id, reason]` of every acknowledgment under the scope. */
function acknowledgments(
  scope: IConstruct
): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, reason] of Object.entries(
          entry.data as Record<string, string>
        )) {
          found.push({
            path: construct.node.path,
            id: id.replace(/^Annotation::/, ''),
            reason
          });
        }
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  const stacks: Array<[string, () => cdk.Stack]> = [
    ['SSH-IAM-SSM-Stack', () => iamStack()],
    [
      'SSH-IAM-SSM-Stack (Studio)',
      () => iamStack(SAGEMAKER_ROLE, SAGEMAKER_ROLE)
    ],
    [
      'SSM-Advanced-Tier-Stack',
      () => buildTierApp({ outdir: newOutdir() }).stack
    ]
  ];

  it.each(stacks)('%s has no unacknowledged finding', (_, make) => {
    const stack = make();
    const report = new AwsSolutionsChecks(stack.node.root, {
      verbose: true
    }).validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
    // cdk-nag 3 reports through the validation report, not annotations; none may be left either way.
    const annotations = Annotations.fromStack(stack);
    expect(
      annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    ).toEqual([]);
    expect(
      annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    ).toEqual([]);
  });

  it('synthesizes with the pack registered the documented way', () => {
    const { app } = buildIamApp({
      outdir: newOutdir(),
      context: { sagemaker_role: SAGEMAKER_ROLE, user_role: USER_ROLE }
    });
    cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('every acknowledgment is a precise IAM5 finding with a reason, listed in NAG-SUPPRESSIONS.md', () => {
    const doc = readFileSync(
      new URL('./NAG-SUPPRESSIONS.md', import.meta.url),
      'utf8'
    );
    const all = stacks.flatMap(([, make]) => acknowledgments(make()));
    expect(all.length).toBeGreaterThan(0);
    for (const { path, id, reason } of all) {
      expect(reason.length).toBeGreaterThanOrEqual(10);
      expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
      const finding = id.replace(/\d{12}/g, '<ACCOUNT_ID>');
      expect({ path, id, listed: doc.includes(finding) }).toEqual({
        path,
        id,
        listed: true
      });
    }
  });

  it('every acknowledgment is needed: the same policies without them are reported exactly so', () => {
    const stack = iamStack();
    for (const policy of [stack.serverPolicy, stack.clientPolicy]) {
      const bare = new cdk.Stack(new cdk.App({ outdir: newOutdir() }), 'Bare');
      new iam.CfnPolicy(bare, 'Policy', {
        policyName: policy.policyName,
        policyDocument: policy.policyDocument,
        roles: policy.roles
      });
      const violations = new AwsSolutionsChecks(bare.node.root)
        .validateScope(bare)
        .violations.map(v => v.ruleName);
      const acknowledged = acknowledgments(policy).map(a => a.id);
      expect(violations.sort()).toEqual(acknowledged.sort());
    }
  });
});

describe("CDK's built-in template validation", () => {
  it('reports nothing for either stack', () => {
    const saved = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    const outdir = newOutdir();
    try {
      const apps = [
        buildIamApp({
          outdir: join(outdir, 'iam'),
          context: { sagemaker_role: SAGEMAKER_ROLE, user_role: USER_ROLE }
        }),
        buildTierApp({ outdir: join(outdir, 'tier') })
      ];
      for (const { app } of apps) {
        const assembly = app.synth();
        const report = JSON.parse(
          readFileSync(`${assembly.directory}/validation-report.json`, 'utf8')
        ) as { pluginReports: unknown[] };
        expect(report.pluginReports).toEqual([]);
      }
    } finally {
      process.env.CDK_VALIDATION = saved;
    }
  }, 60000);
});
