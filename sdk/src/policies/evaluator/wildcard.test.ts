import {
  ANY_RUN,
  matchAction,
  matchArn,
  matchGlob,
  matchResource,
  parseGlob,
  tokensToText
} from './wildcard.js';

describe('wildcard matching', () => {
  it.each([
    [
      'IAM JSON policy elements: Action — "*" matches every action',
      '*',
      'ssm:StartSession',
      true
    ],
    [
      'IAM JSON policy elements: Action — action names are case-insensitive',
      'ec2:StartInstances',
      'EC2:startinstances',
      true
    ],
    [
      'IAM JSON policy elements: Action — service wildcard',
      's3:*',
      's3:GetObject',
      true
    ],
    [
      'IAM JSON policy elements: Action — wildcard in the middle ("iam:*AccessKey*")',
      'iam:*AccessKey*',
      'iam:ListAccessKeys',
      true
    ],
    [
      'IAM JSON policy elements: Action — another service does not match',
      's3:*',
      'ssm:StartSession',
      false
    ],
    [
      'IAM JSON policy elements: Action — "?" matches exactly one character',
      'ssm:Get?',
      'ssm:GetX',
      true
    ],
    [
      'IAM JSON policy elements: Action — "?" does not match two characters',
      'ssm:Get?',
      'ssm:GetXY',
      false
    ]
  ])('%s', (_title, pattern, action, expected) => {
    expect(matchAction(pattern, action)).toBe(expected);
  });

  it.each([
    [
      'IAM JSON policy elements: Resource — all users under a path',
      'arn:aws:iam::123456789012:user/accounting/*',
      'arn:aws:iam::123456789012:user/accounting/alice',
      true
    ],
    [
      'IAM JSON policy elements: Resource — the IAM user name is case sensitive',
      'arn:aws:iam::123456789012:user/Bob',
      'arn:aws:iam::123456789012:user/bob',
      false
    ],
    [
      'IAM JSON policy elements: Resource — "*" expands across slashes',
      'arn:aws:s3:::amzn-s3-demo-bucket/*',
      'arn:aws:s3:::amzn-s3-demo-bucket/a/b/c.txt',
      true
    ],
    [
      'IAM JSON policy elements: Resource — a "*" inside a segment stays in it',
      'arn:aws:ssm:us-*1:123456789012:document/x',
      'arn:aws:ssm:us-east:1:123456789012:document/x',
      false
    ],
    [
      'IAM JSON policy elements: Resource — a "*" ending a segment may run past colons',
      'arn:aws:ssm:*:123456789012:*',
      'arn:aws:ssm:us-east-1:123456789012:managed-instance/mi-1',
      true
    ],
    [
      'IAM JSON policy elements: Resource — "?" matches one character of a segment',
      'arn:aws:ssm:us-east-?:123456789012:*',
      'arn:aws:ssm:us-east-2:123456789012:x',
      true
    ],
    [
      'IAM JSON policy elements: Resource — the account must match',
      'arn:aws:ssm:*:123456789012:managed-instance/mi-*',
      'arn:aws:ssm:us-east-1:210987654321:managed-instance/mi-1',
      false
    ],
    [
      'IAM JSON policy elements: Resource — "*" matches everything',
      '*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/x:*',
      true
    ]
  ])('%s', (_title, pattern, resource, expected) => {
    expect(matchResource(pattern, resource)).toBe(expected);
  });

  it.each([
    [
      'IAM JSON policy elements: Condition operators — ArnLike checks each of the six components',
      'arn:aws:sns:*:123456789012:TOPIC-*',
      'arn:aws:sns:us-east-2:123456789012:TOPIC-ID',
      true
    ],
    [
      'IAM JSON policy elements: Condition operators — ArnLike wildcard does not cross a component',
      'arn:aws:sns:*:123456789012',
      'arn:aws:sns:us-east-2:123456789012:TOPIC',
      false
    ],
    [
      'IAM JSON policy elements: Condition operators — ArnLike is case-sensitive',
      'arn:aws:sns:*:123456789012:topic',
      'arn:aws:sns:us-east-2:123456789012:TOPIC',
      false
    ],
    [
      'IAM JSON policy elements: Condition operators — the resource component may hold colons',
      'arn:aws:logs:*:123456789012:log-group:/aws/*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*',
      true
    ],
    [
      'IAM JSON policy elements: Condition operators — a value that is not an ARN never matches',
      '*',
      'not-an-arn',
      false
    ],
    [
      'IAM JSON policy elements: Condition operators — a lone "*" matches any ARN',
      '*',
      'arn:aws:iam::123456789012:role/x',
      true
    ]
  ])('%s', (_title, pattern, value, expected) => {
    expect(matchArn(pattern, value)).toBe(expected);
  });

  it('StringLike matching is case-sensitive and spans the whole value', () => {
    expect(matchGlob('home/*', 'home/alice/x')).toBe(true);
    expect(matchGlob('home/*', 'Home/alice')).toBe(false);
    expect(matchGlob('home', 'home/')).toBe(false);
  });

  it('regular-expression characters in a pattern are literal', () => {
    expect(matchGlob('a.b(c)+[d]', 'a.b(c)+[d]')).toBe(true);
    expect(matchGlob('a.b', 'axb')).toBe(false);
  });

  it('tokens keep wildcards apart from literal text', () => {
    const tokens = parseGlob('mi-*');
    expect(tokens).toEqual(['mi-', ANY_RUN]);
    expect(tokensToText(tokens)).toBe('mi-*');
    expect(matchResource(['mi-*'], 'mi-0123')).toBe(false);
    expect(matchResource(['mi-*'], 'mi-*')).toBe(true);
  });
});
