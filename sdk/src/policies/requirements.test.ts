/**
 * The remote-access requirements, decided by the offline evaluator over role documents: the probes carry the
 * condition keys a Studio request or a laptop request has, so the StartSession condition is really evaluated.
 */
import { LocalDecider } from './deciders.js';
import { remoteAccessPolicy, remoteAccessEnablePolicy } from './documents.js';
import type { ILiveRole } from './live-role.js';
import {
  PROBE_DOMAIN_ID,
  remoteAccessRequirements,
  type IRemoteAccessScope,
  type IRequirement
} from './requirements.js';
import type { ConditionBlock, IPolicyDocument } from './types.js';

const ACCOUNT = '123456789012';
const PROFILE = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/d-abcdefgh1234/alice`;
const SCOPE = { region: 'us-east-1', account: ACCOUNT, partition: 'aws' };
const STUDIO: IRemoteAccessScope = { studio: true };
const LAPTOP: IRemoteAccessScope = {
  studio: false,
  spaceOwnerProfile: PROFILE
};

function roleWith(...documents: IPolicyDocument[]): ILiveRole {
  return {
    arn: `arn:aws:iam::${ACCOUNT}:role/DataScientist`,
    partition: 'aws',
    account: ACCOUNT,
    name: 'DataScientist',
    path: '/',
    roleId: 'AROAEXAMPLEID',
    trustPolicy: { Version: '2012-10-17', Statement: [] },
    inlinePolicies: documents.map((document, index) => ({
      name: `Policy${index}`,
      document
    })),
    attachedPolicies: [],
    tags: {}
  };
}

/** The status check would give: the same rule as the checker's (must-deny probes must be denied). */
async function statuses(
  role: ILiveRole,
  remote: IRemoteAccessScope
): Promise<Record<string, string>> {
  const decider = new LocalDecider();
  const result: Record<string, string> = {};
  for (const requirement of remoteAccessRequirements(role, SCOPE, remote)) {
    result[requirement.id] = await statusOf(decider, role, requirement);
  }
  return result;
}

async function statusOf(
  decider: LocalDecider,
  role: ILiveRole,
  requirement: IRequirement
): Promise<string> {
  const expectAllowed = requirement.kind !== 'must-deny';
  for (const probe of requirement.probes) {
    const allowed = (await decider.decide(role, probe)).result === 'Allowed';
    if (allowed !== expectAllowed) {
      return requirement.kind === 'required' ? 'MISSING' : 'WARNING';
    }
  }
  return 'OK';
}

function allow(
  action: string | string[],
  resource: string,
  condition?: ConditionBlock
): IPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: action,
        Resource: resource,
        ...(condition ? { Condition: condition } : {})
      }
    ]
  };
}

const reads = allow(
  [
    'sagemaker:ListSpaces',
    'sagemaker:ListApps',
    'sagemaker:DescribeSpace',
    'sagemaker:DescribeApp'
  ],
  '*'
);

describe('remote-access requirements', () => {
  it("passes AWS's Studio form for a Studio caller, and denies other profiles' spaces", async () => {
    const role = roleWith(remoteAccessPolicy({ account: ACCOUNT }));
    expect(await statuses(role, STUDIO)).toEqual({
      'remote-access.start-session': 'OK',
      'remote-access.list-spaces': 'OK',
      'remote-access.describe-spaces': 'OK',
      'remote-access.others-spaces': 'OK',
      'remote-access.update-space': 'WARNING',
      'remote-access.restart-app': 'WARNING'
    });
  });

  it('grants a laptop caller nothing with the Studio form: its requests have no sagemaker:DomainId', async () => {
    const role = roleWith(remoteAccessPolicy({ account: ACCOUNT }));
    const result = await statuses(role, LAPTOP);
    expect(result['remote-access.start-session']).toBe('MISSING');
    expect(result['remote-access.describe-spaces']).toBe('MISSING');
    const [startSession] = remoteAccessRequirements(role, SCOPE, LAPTOP);
    const decision = await new LocalDecider().decide(
      role,
      startSession.probes[0]
    );
    expect(decision.reasons.join('\n')).toContain('${sagemaker:DomainId}');
  });

  it('passes the --space-owner-profile form for a laptop caller, and the enable policy clears the warnings', async () => {
    const options = { account: ACCOUNT, spaceOwnerProfile: PROFILE };
    const role = roleWith(
      remoteAccessPolicy(options),
      remoteAccessEnablePolicy(options)
    );
    expect(Object.values(await statuses(role, LAPTOP))).toEqual(
      Array(6).fill('OK')
    );
  });

  it('an unconditioned StartSession is OK with a least-privilege WARNING', async () => {
    const role = roleWith(reads, allow('sagemaker:StartSession', '*'));
    const result = await statuses(role, STUDIO);
    expect(result['remote-access.start-session']).toBe('OK');
    expect(result['remote-access.others-spaces']).toBe('WARNING');
  });

  it("StartSession only on another domain's spaces is MISSING for the probe's space", async () => {
    const role = roleWith(
      reads,
      allow(
        'sagemaker:StartSession',
        `arn:aws:sagemaker:*:${ACCOUNT}:space/d-other/*`
      )
    );
    expect((await statuses(role, STUDIO))['remote-access.start-session']).toBe(
      'MISSING'
    );
    expect(
      remoteAccessRequirements(role, SCOPE, STUDIO)[0].probes[0].resource
    ).toBe(
      `arn:aws:sagemaker:us-east-1:${ACCOUNT}:space/${PROBE_DOMAIN_ID}/sm-ssh-probe-space`
    );
  });

  it("a condition naming another profile is MISSING: the probe's space carries the caller's own tag", async () => {
    const role = roleWith(
      reads,
      allow('sagemaker:StartSession', '*', {
        ArnLike: {
          'sagemaker:ResourceTag/sagemaker:user-profile-arn': `arn:aws:sagemaker:*:${ACCOUNT}:user-profile/d-abcdefgh1234/bob`
        }
      })
    );
    expect((await statuses(role, LAPTOP))['remote-access.start-session']).toBe(
      'MISSING'
    );
  });

  it('UpdateSpace without RemoteAccess=ENABLED in the request is not what the probe asks', () => {
    const [, , , , updateSpace, restartApp] = remoteAccessRequirements(
      roleWith(),
      SCOPE,
      LAPTOP
    );
    expect(updateSpace.kind).toBe('advisory');
    expect(updateSpace.probes[0].context['sagemaker:RemoteAccess']).toBe(
      'ENABLED'
    );
    expect(updateSpace.note).toContain('sagemaker:RemoteAccess');
    expect(restartApp.probes.map(probe => probe.action)).toEqual([
      'sagemaker:CreateApp',
      'sagemaker:DeleteApp'
    ]);
    expect(restartApp.probes[0].context['sagemaker:OwnerUserProfileArn']).toBe(
      PROFILE
    );
  });
});
