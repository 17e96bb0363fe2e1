import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import {
  clientPolicy,
  serverPolicy,
  setupDocuments,
  trustPolicy
} from './documents.js';

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
