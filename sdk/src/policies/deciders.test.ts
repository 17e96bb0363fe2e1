/**
 * The IAM-simulator path of the checker. No local server implements SimulatePrincipalPolicy (moto answers 500),
 * so these tests stub the AWS SDK client with aws-sdk-client-mock, with response shapes from IAM's API reference.
 */
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import {
  chooseDecider,
  IamSimulatorDecider,
  LocalDecider
} from './deciders.js';
import { clientPolicy } from './documents.js';
import type { ILiveRole } from './live-role.js';
import type { IPermissionProbe } from './requirements.js';

const role: ILiveRole = {
  arn: 'arn:aws:iam::123456789012:role/DataScientist',
  partition: 'aws',
  account: '123456789012',
  name: 'DataScientist',
  path: '/',
  roleId: 'AROAEXAMPLEID',
  trustPolicy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:AssumeRole'
      }
    ]
  },
  inlinePolicies: [
    {
      name: 'SSHSageMakerClientPolicy',
      document: clientPolicy({ account: '123456789012' })
    }
  ],
  attachedPolicies: [],
  tags: {}
};

const probe: IPermissionProbe = {
  action: 'ssm:StartSession',
  resource:
    'arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-0123456789abcdef0',
  context: {
    'aws:userid': 'AROAEXAMPLEID:sm-ssh',
    'ssm:resourceTag/SSHOwner': 'AROAEXAMPLEID:sm-ssh'
  }
};

const iam = mockClient(IAMClient);
beforeEach(() => iam.reset());

describe('IamSimulatorDecider', () => {
  it('sends the probe as SimulatePrincipalPolicy with string context entries', async () => {
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        { EvalActionName: probe.action, EvalDecision: 'allowed' }
      ]
    });
    const decision = await new IamSimulatorDecider(
      new IAMClient({ region: 'us-east-1' })
    ).decide(role, probe);
    expect(decision.result).toBe('Allowed');
    expect(
      iam.commandCalls(SimulatePrincipalPolicyCommand)[0].args[0].input
    ).toEqual({
      PolicySourceArn: role.arn,
      ActionNames: ['ssm:StartSession'],
      ResourceArns: [probe.resource],
      ContextEntries: [
        {
          ContextKeyName: 'aws:userid',
          ContextKeyValues: ['AROAEXAMPLEID:sm-ssh'],
          ContextKeyType: 'string'
        },
        {
          ContextKeyName: 'ssm:resourceTag/SSHOwner',
          ContextKeyValues: ['AROAEXAMPLEID:sm-ssh'],
          ContextKeyType: 'string'
        }
      ]
    });
  });

  it.each([
    ['explicitDeny', 'ExplicitDeny'],
    ['implicitDeny', 'ImplicitDeny']
  ])(
    'maps %s to %s and explains SCP and boundary denials',
    async (evalDecision, result) => {
      iam.on(SimulatePrincipalPolicyCommand).resolves({
        EvaluationResults: [
          {
            EvalActionName: probe.action,
            EvalDecision: evalDecision as 'explicitDeny',
            MatchedStatements: [
              { SourcePolicyId: 'DenyAll', SourcePolicyType: 'role' }
            ],
            OrganizationsDecisionDetail: { AllowedByOrganizations: false },
            PermissionsBoundaryDecisionDetail: {
              AllowedByPermissionsBoundary: false
            },
            MissingContextValues: ['aws:SourceIp']
          }
        ]
      });
      const decision = await new IamSimulatorDecider(
        new IAMClient({ region: 'us-east-1' })
      ).decide(role, probe);
      expect(decision.result).toBe(result);
      expect(decision.reasons).toEqual([
        'matched DenyAll (role)',
        'the simulator lacked context keys: aws:SourceIp',
        'denied by an Organizations service control policy',
        "denied by the role's permissions boundary"
      ]);
    }
  );

  it('evaluates trust probes locally (the simulator only sees identity policies)', async () => {
    const decision = await new IamSimulatorDecider(
      new IAMClient({ region: 'us-east-1' })
    ).decide(role, {
      action: 'sts:AssumeRole',
      resource: role.arn,
      context: {},
      principal: { type: 'Service', id: 'ssm.amazonaws.com' }
    });
    expect(decision.result).toBe('Allowed');
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
  });
});

describe('chooseDecider', () => {
  const client = () => new IAMClient({ region: 'us-east-1', maxAttempts: 1 });

  it('uses the simulator when it answers', async () => {
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        { EvalActionName: probe.action, EvalDecision: 'allowed' }
      ]
    });
    const { decider, note } = await chooseDecider(
      'auto',
      client(),
      role,
      probe
    );
    expect(decider).toBeInstanceOf(IamSimulatorDecider);
    expect(note).toBeUndefined();
  });

  it('falls back to the local evaluator without iam:SimulatePrincipalPolicy, and says why', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .rejects(
        Object.assign(
          new Error(
            'User is not authorized to perform: iam:SimulatePrincipalPolicy'
          ),
          { name: 'AccessDenied' }
        )
      );
    const { decider, note } = await chooseDecider(
      'auto',
      client(),
      role,
      probe
    );
    expect(decider).toBeInstanceOf(LocalDecider);
    expect(note).toContain(
      'the caller may not call iam:SimulatePrincipalPolicy'
    );
    expect(note).toContain('not Organizations SCPs');
    expect((await decider.decide(role, probe)).result).toBe('Allowed');
  });

  it('falls back when the endpoint does not implement the simulator, naming the HTTP status', async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(
      Object.assign(new Error('<html>500</html>'), {
        name: 'Error',
        $metadata: { httpStatusCode: 500 }
      })
    );
    const { note } = await chooseDecider('auto', client(), role, probe);
    expect(note).toContain("IAM's simulator is unavailable (Error, HTTP 500)");
  });

  it('honours an explicit choice', async () => {
    expect(
      (await chooseDecider('local', client(), role, probe)).decider
    ).toBeInstanceOf(LocalDecider);
    expect(
      (await chooseDecider('iam', client(), role, probe)).decider
    ).toBeInstanceOf(IamSimulatorDecider);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
  });
});
