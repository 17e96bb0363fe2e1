import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import {
  clientPolicy,
  remoteAccessDocuments,
  serverPolicy,
  setupDocuments,
  spaceStartSessionStatement,
  trustPolicy
} from './documents.js';
import { statementsOf } from './types.js';

const GUIDE = fileURLToPath(
  new URL(
    '../../../../shared/reference/iam-ssm-setup-guide.md',
    import.meta.url
  )
);
const ROLE =
  'arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000';

/** The JSON blocks of the setup guide, placeholders filled, in the order the guide shows them. */
function guideDocuments(roleArn: string, account: string): unknown[] {
  const text = readFileSync(GUIDE, 'utf8');
  const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map(
    match => match[1]
  );
  return blocks.map(block =>
    JSON.parse(
      block
        .replaceAll('<<SAGEMAKER_ROLE_ARN>>', roleArn)
        .replaceAll('<<ACCOUNT_ID>>', account)
    )
  );
}

describe('the documents of the setup guide', () => {
  const [guideTrust, guideServer, guideClient] = guideDocuments(
    ROLE,
    '111122223333'
  );

  it('reproduces the guide word for word, key order included', () => {
    expect(JSON.stringify(trustPolicy())).toBe(JSON.stringify(guideTrust));
    expect(JSON.stringify(serverPolicy({ sagemakerRoleArn: ROLE }))).toBe(
      JSON.stringify(guideServer)
    );
    expect(JSON.stringify(clientPolicy({ sagemakerRoleArn: ROLE }))).toBe(
      JSON.stringify(guideClient)
    );
  });

  it('takes the account from the role ARN unless --account overrides it', () => {
    const documents = setupDocuments({
      sagemakerRoleArn: ROLE,
      account: '444455556666'
    });
    expect(JSON.stringify(documents.clientPolicy)).toContain(
      'arn:aws:ssm:*:444455556666:managed-instance/mi-*'
    );
    expect(JSON.stringify(documents.serverPolicy)).toContain(
      'arn:aws:ssm:*:444455556666:managed-instance/mi-*'
    );
    expect(JSON.stringify(documents.serverPolicy)).toContain(ROLE);
  });

  it('substitutes the partition everywhere the guide writes arn:aws', () => {
    const cnRole = 'arn:aws-cn:iam::111122223333:role/SageMakerRole';
    const text = JSON.stringify(setupDocuments({ sagemakerRoleArn: cnRole }));
    expect(text).not.toMatch(/arn:aws:/);
    expect(text).toContain('arn:aws-cn:ssm:*::document/AWS-StartSSHSession');
    expect(text).toContain(
      'arn:aws-cn:logs:*:111122223333:log-group:/aws/sagemaker/*'
    );
    const gov = JSON.stringify(
      setupDocuments({ sagemakerRoleArn: ROLE, partition: 'aws-us-gov' })
    );
    expect(gov).toContain('arn:aws-us-gov:ssm:*:111122223333:session/*');
  });

  it.each([
    [
      'not an ARN',
      { sagemakerRoleArn: 'AmazonSageMaker-ExecutionRole' },
      /is not an ARN/
    ],
    [
      'an S3 ARN',
      { sagemakerRoleArn: 'arn:aws:s3:::my-bucket/key' },
      /not an IAM ARN/
    ],
    [
      'a user, not a role',
      { sagemakerRoleArn: 'arn:aws:iam::111122223333:user/alice' },
      /names a user, not a role/
    ],
    [
      'an unknown partition',
      { sagemakerRoleArn: ROLE, partition: 'aws-mars' },
      /unknown partition "aws-mars"/
    ],
    [
      'a short account',
      { sagemakerRoleArn: ROLE, account: '1234' },
      /not a 12-digit AWS account ID/
    ]
  ])('refuses %s with a UsageError', (_what, options, message) => {
    expect(() => setupDocuments(options)).toThrow(UsageError);
    expect(() => setupDocuments(options)).toThrow(message);
  });
});

describe('the remote-access documents', () => {
  const PROFILE =
    'arn:aws:sagemaker:eu-west-1:111122223333:user-profile/d-abcdefgh1234/alice';

  it("is AWS's documented StartSession statement in the Studio form, partition and account filled in", () => {
    // AWS's "Set up remote access", method 1 (deep link), has arn:*:sagemaker:*:*: where this fills both in.
    expect(spaceStartSessionStatement({ account: '111122223333' })).toEqual({
      Sid: 'SSHRemoteAccessStartSession',
      Effect: 'Allow',
      Action: 'sagemaker:StartSession',
      Resource:
        'arn:aws:sagemaker:*:111122223333:space/${sagemaker:DomainId}/*',
      Condition: {
        ArnLike: {
          'sagemaker:ResourceTag/sagemaker:user-profile-arn':
            'arn:aws:sagemaker:*:111122223333:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}'
        }
      }
    });
  });

  it('has one Sid per statement, the enable statements in a policy of their own', () => {
    const { remoteAccessPolicy: policy, remoteAccessEnablePolicy: enable } =
      remoteAccessDocuments({ account: '111122223333' });
    expect(statementsOf(policy).map(statement => statement.Sid)).toEqual([
      'SSHRemoteAccessStartSession',
      'SSHRemoteAccessListSpaces',
      'SSHRemoteAccessDescribeSpaces'
    ]);
    expect(statementsOf(policy)[1]).toEqual({
      Sid: 'SSHRemoteAccessListSpaces',
      Effect: 'Allow',
      Action: ['sagemaker:ListSpaces', 'sagemaker:ListApps'],
      Resource: '*'
    });
    expect(statementsOf(enable).map(statement => statement.Sid)).toEqual([
      'SSHRemoteAccessEnableOnSpace',
      'SSHRemoteAccessRestartSpaceApp'
    ]);
    expect(JSON.stringify(policy)).not.toMatch(
      /UpdateSpace|CreateApp|DeleteApp/
    );
    expect(statementsOf(enable)[0].Condition).toEqual({
      ArnLike: {
        'sagemaker:ResourceTag/sagemaker:user-profile-arn':
          'arn:aws:sagemaker:*:111122223333:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}'
      },
      StringEquals: { 'sagemaker:RemoteAccess': 'ENABLED' }
    });
  });

  it('writes the domain and the profile out with --space-owner-profile, for a laptop user', () => {
    const documents = remoteAccessDocuments({
      account: '111122223333',
      spaceOwnerProfile: PROFILE
    });
    const text = JSON.stringify(documents.remoteAccessPolicy);
    expect(text).not.toContain('${');
    expect(statementsOf(documents.remoteAccessPolicy)[0]).toEqual({
      Sid: 'SSHRemoteAccessStartSession',
      Effect: 'Allow',
      Action: 'sagemaker:StartSession',
      Resource:
        'arn:aws:sagemaker:eu-west-1:111122223333:space/d-abcdefgh1234/*',
      Condition: {
        ArnLike: {
          'sagemaker:ResourceTag/sagemaker:user-profile-arn': PROFILE
        }
      }
    });
    expect(statementsOf(documents.remoteAccessEnablePolicy)[1]).toEqual({
      Sid: 'SSHRemoteAccessRestartSpaceApp',
      Effect: 'Allow',
      Action: ['sagemaker:CreateApp', 'sagemaker:DeleteApp'],
      Resource: 'arn:aws:sagemaker:eu-west-1:111122223333:app/d-abcdefgh1234/*',
      Condition: { ArnLike: { 'sagemaker:OwnerUserProfileArn': PROFILE } }
    });
    expect(documents.note).toContain('d-abcdefgh1234');
    expect(remoteAccessDocuments({ account: '111122223333' }).note).toContain(
      '--space-owner-profile'
    );
  });

  it('substitutes the partition', () => {
    const text = JSON.stringify(
      remoteAccessDocuments({ account: '111122223333', partition: 'aws-cn' })
    );
    expect(text).not.toMatch(/arn:aws:/);
    expect(text).toContain('arn:aws-cn:sagemaker:*:111122223333:space/');
  });

  it.each([
    ['a role ARN', 'arn:aws:iam::111122223333:role/R'],
    [
      'a space ARN',
      'arn:aws:sagemaker:eu-west-1:111122223333:space/d-abcdefgh1234/s'
    ],
    [
      'a profile without a region',
      'arn:aws:sagemaker::111122223333:user-profile/d-abcdefgh1234/alice'
    ],
    ['not an ARN', 'alice']
  ])('refuses %s as --space-owner-profile', (_what, spaceOwnerProfile) => {
    const build = () =>
      remoteAccessDocuments({ account: '111122223333', spaceOwnerProfile });
    expect(build).toThrow(UsageError);
    expect(build).toThrow(
      /--space-owner-profile ".*" is not a SageMaker user profile ARN/
    );
  });
});
