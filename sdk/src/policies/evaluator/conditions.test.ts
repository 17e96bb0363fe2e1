import type { ConditionBlock } from '../types.js';
import {
  CONDITION_OPERATORS,
  evaluateConditions,
  parseOperator
} from './conditions.js';
import { ContextLookup } from './context.js';
import type { ContextValue } from './model.js';

function holds(
  condition: ConditionBlock,
  context: Record<string, ContextValue>,
  variables = true
): boolean {
  return evaluateConditions(condition, new ContextLookup(context), {
    variables
  }).holds;
}

const OPS = 'IAM JSON policy elements: Condition operators';
const COND = 'IAM JSON policy elements: Condition';
const MULTI = 'Conditions with multiple context keys or values';
const SETS = 'Single-valued vs. multivalued context keys';

type Row = [string, ConditionBlock, Record<string, ContextValue>, boolean];

const rows: Row[] = [
  [
    `${COND} — StringEquals matches johndoe`,
    { StringEquals: { 'aws:username': 'johndoe' } },
    { 'aws:username': 'johndoe' },
    true
  ],
  [
    `${COND} — StringEquals is case-sensitive: JohnDoe is refused`,
    { StringEquals: { 'aws:username': 'johndoe' } },
    { 'aws:username': 'JohnDoe' },
    false
  ],
  [
    `${COND} — StringEqualsIgnoreCase matches JohnDoe`,
    { StringEqualsIgnoreCase: { 'aws:username': 'johndoe' } },
    { 'aws:username': 'JohnDoe' },
    true
  ],
  [
    `${COND} — context key names are case-insensitive (aws:SourceIP = AWS:SourceIp)`,
    { IpAddress: { 'aws:SourceIP': '203.0.113.0/24' } },
    { 'AWS:SourceIp': '203.0.113.7' },
    true
  ],
  [
    `${OPS} — a key missing from the request makes StringEquals false`,
    { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
    {},
    false
  ],
  [
    `${OPS} — a negated operator (StringNotEquals) on a missing key is true`,
    { StringNotEquals: { 'aws:PrincipalTag/job-category': 'x' } },
    {},
    true
  ],
  [
    `${OPS} — StringNotLike on a missing key is true`,
    { StringNotLike: { 'aws:username': 'a*' } },
    {},
    true
  ],
  [
    `${OPS} — ArnNotLike on a missing key is true`,
    { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } },
    {},
    true
  ],
  [
    `${OPS} — StringLike with a wildcard`,
    { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } },
    { 's3:prefix': 'home/alice/docs', 'aws:username': 'alice' },
    true
  ],
  [
    `${OPS} — StringLike with a variable for another user fails`,
    { StringLike: { 's3:prefix': ['home/${aws:username}/*'] } },
    { 's3:prefix': 'home/bob/docs', 'aws:username': 'alice' },
    false
  ],
  [
    `${OPS} — StringNotLike holds when the value matches no pattern`,
    { StringNotLike: { 'aws:username': ['a*', 'b*'] } },
    { 'aws:username': 'carol' },
    true
  ],
  [
    `${OPS} — NumericLessThanEquals s3:max-keys 10 with 10`,
    { NumericLessThanEquals: { 's3:max-keys': '10' } },
    { 's3:max-keys': '10' },
    true
  ],
  [
    `${OPS} — NumericLessThanEquals s3:max-keys 10 with 11`,
    { NumericLessThanEquals: { 's3:max-keys': '10' } },
    { 's3:max-keys': 11 },
    false
  ],
  [
    `${OPS} — NumericGreaterThan`,
    { NumericGreaterThan: { 'k:n': 2 } },
    { 'k:n': '2.5' },
    true
  ],
  [
    `${OPS} — a non-number never satisfies a Numeric operator`,
    { NumericNotEquals: { 'k:n': '1' } },
    { 'k:n': 'abc' },
    false
  ],
  [
    `${OPS} — DateGreaterThan aws:TokenIssueTime`,
    { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
    { 'aws:TokenIssueTime': '2024-05-01T12:00:00Z' },
    true
  ],
  [
    `${OPS} — DateLessThan aws:CurrentTime with an epoch value`,
    { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
    { 'aws:CurrentTime': '1577836799' },
    true
  ],
  [
    `${OPS} — DateEquals accepts epoch seconds in the policy`,
    { DateEquals: { 'aws:CurrentTime': 1577836800 } },
    { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
    true
  ],
  [
    `${OPS} — Bool aws:SecureTransport true`,
    { Bool: { 'aws:SecureTransport': 'true' } },
    { 'aws:SecureTransport': true },
    true
  ],
  [
    `${OPS} — Bool aws:SecureTransport false does not match true`,
    { Bool: { 'aws:SecureTransport': 'false' } },
    { 'aws:SecureTransport': 'true' },
    false
  ],
  [
    `${OPS} — BinaryEquals compares base-64 values`,
    { BinaryEquals: { 'k:b': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
    { 'k:b': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' },
    true
  ],
  [
    `${OPS} — IpAddress 203.0.113.0/24 excludes 198.51.100.1`,
    { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    { 'aws:SourceIp': '198.51.100.1' },
    false
  ],
  [
    `${OPS} — IpAddress with an IPv6 block`,
    { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } },
    { 'aws:SourceIp': '2001:db8:1234:5678:a::1' },
    true
  ],
  [
    `${OPS} — NotIpAddress holds outside the block`,
    { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } },
    { 'aws:SourceIp': '198.51.100.1' },
    true
  ],
  [
    `${OPS} — ArnLike aws:SourceArn`,
    { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:TOPIC-ID' } },
    { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' },
    true
  ],
  [
    `${OPS} — ArnEquals takes wildcards like ArnLike`,
    { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:*' } },
    { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:T' },
    true
  ],
  [
    `${OPS} — ArnNotEquals fails on the named ARN`,
    {
      ArnNotEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:T' }
    },
    { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:T' },
    false
  ],
  [
    `${OPS} — StringLikeIfExists ec2:InstanceType holds when the key is missing`,
    { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
    {},
    true
  ],
  [
    `${OPS} — StringLikeIfExists ec2:InstanceType is checked when present`,
    { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
    { 'ec2:InstanceType': 'p3.16xlarge' },
    false
  ],
  [
    `${OPS} — Null true: the key is absent (no temporary credentials)`,
    { Null: { 'aws:TokenIssueTime': 'true' } },
    {},
    true
  ],
  [
    `${OPS} — Null true fails when the key is present`,
    { Null: { 'aws:TokenIssueTime': 'true' } },
    { 'aws:TokenIssueTime': '2024-05-01T12:00:00Z' },
    false
  ],
  [
    `${OPS} — Null false: the key is present`,
    { Null: { 'aws:TokenIssueTime': 'false' } },
    { 'aws:TokenIssueTime': '2024-05-01T12:00:00Z' },
    true
  ],
  [
    `${MULTI} — several operators are AND-ed`,
    {
      StringEquals: { 'aws:username': 'alice' },
      Bool: { 'aws:SecureTransport': 'true' }
    },
    { 'aws:username': 'alice', 'aws:SecureTransport': 'false' },
    false
  ],
  [
    `${MULTI} — several keys under one operator are AND-ed`,
    {
      StringEquals: { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'blue' }
    },
    { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'red' },
    false
  ],
  [
    `${MULTI} — several values of one key are OR-ed`,
    { StringEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } },
    { 'aws:PrincipalTag/role': 'security' },
    true
  ],
  [
    `${MULTI} — a negated operator with several values is a NOR`,
    { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } },
    { 'aws:PrincipalTag/role': 'security' },
    false
  ],
  [
    `${MULTI} — a negated operator holds when no value matches`,
    { StringNotEquals: { 'aws:PrincipalTag/role': ['audit', 'security'] } },
    { 'aws:PrincipalTag/role': 'dev' },
    true
  ],
  [
    `${SETS} — ForAllValues:StringEquals, every request tag key is allowed`,
    {
      'ForAllValues:StringEquals': {
        'aws:TagKeys': ['environment', 'cost-center']
      }
    },
    { 'aws:TagKeys': ['environment'] },
    true
  ],
  [
    `${SETS} — ForAllValues:StringEquals, one request tag key is not allowed`,
    {
      'ForAllValues:StringEquals': {
        'aws:TagKeys': ['environment', 'cost-center']
      }
    },
    { 'aws:TagKeys': ['environment', 'dept'] },
    false
  ],
  [
    `${SETS} — ForAllValues returns true when the key is not in the request`,
    { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment'] } },
    {},
    true
  ],
  [
    `${SETS} — ForAllValues returns true for an empty set`,
    { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment'] } },
    { 'aws:TagKeys': [] },
    true
  ],
  [
    `${SETS} — ForAnyValue:StringEquals, one request tag key matches`,
    { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } },
    { 'aws:TagKeys': ['dept', 'environment'] },
    true
  ],
  [
    `${SETS} — ForAnyValue returns false when the key is not in the request`,
    { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } },
    {},
    false
  ],
  [
    `${SETS} — ForAnyValue:StringNotEquals holds when some value is not listed`,
    { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment'] } },
    { 'aws:TagKeys': ['environment', 'dept'] },
    true
  ],
  [
    'Multivalued context key examples — ForAllValues:StringLike with key1* prefixes',
    { 'ForAllValues:StringLike': { 'aws:TagKeys': ['key1*'] } },
    { 'aws:TagKeys': ['key1a', 'key1b'] },
    true
  ],
  [
    'Multivalued context key examples — ForAllValues:StringLike with a foreign key',
    { 'ForAllValues:StringLike': { 'aws:TagKeys': ['key1*'] } },
    { 'aws:TagKeys': ['key1a', 'key2'] },
    false
  ]
];

describe('condition operators', () => {
  it.each(rows)('%s', (_title, condition, context, expected) => {
    expect(holds(condition, context)).toBe(expected);
  });

  it('an unknown operator does not hold and says so', () => {
    const outcome = evaluateConditions(
      { StringSorta: { 'aws:username': 'x' } },
      new ContextLookup({ 'aws:username': 'x' }),
      { variables: true }
    );
    expect(outcome).toEqual({
      holds: false,
      reason: 'unknown condition operator "StringSorta"'
    });
  });

  it('Null cannot be combined with IfExists or a set operator', () => {
    expect(parseOperator('NullIfExists')).toBeUndefined();
    expect(parseOperator('ForAllValues:Null')).toBeUndefined();
    expect(parseOperator('ForAnyValue:StringLikeIfExists')).toMatchObject({
      set: 'ForAnyValue',
      ifExists: true
    });
  });

  it('every base operator has an IfExists form', () => {
    for (const name of CONDITION_OPERATORS.filter(
      operator => operator !== 'Null'
    )) {
      expect(parseOperator(`${name}IfExists`)).toMatchObject({
        ifExists: true
      });
    }
  });

  it('the reason names the operator, the key, the request value and the policy value', () => {
    const outcome = evaluateConditions(
      { StringEquals: { 'ssm:resourceTag/SSHOwner': '${aws:userid}' } },
      new ContextLookup({
        'ssm:resourceTag/SSHOwner': 'AROAX:bob',
        'aws:userid': 'AROAX:alice'
      }),
      { variables: true }
    );
    expect(outcome.reason).toBe(
      'condition StringEquals ssm:resourceTag/SSHOwner: "AROAX:bob" is not "AROAX:alice"'
    );
  });

  it('an unresolvable variable in a condition value makes the condition fail, even for a negated operator', () => {
    const outcome = evaluateConditions(
      { StringNotEquals: { 'aws:username': '${aws:PrincipalTag/missing}' } },
      new ContextLookup({ 'aws:username': 'alice' }),
      { variables: true }
    );
    expect(outcome).toEqual({
      holds: false,
      reason:
        'condition StringNotEquals aws:username: policy variable ${aws:PrincipalTag/missing} has no value in the request'
    });
  });

  it('without variables (policy version 2008-10-17) "${…}" is compared literally', () => {
    expect(
      holds(
        { StringEquals: { 'aws:username': '${aws:username}' } },
        { 'aws:username': 'alice' },
        false
      )
    ).toBe(false);
    expect(
      holds(
        { StringEquals: { 'aws:username': '${aws:username}' } },
        { 'aws:username': '${aws:username}' },
        false
      )
    ).toBe(true);
  });

  it('variables are not replaced in the values of Numeric operators', () => {
    expect(
      holds({ NumericEquals: { 'k:n': '${k:m}' } }, { 'k:n': '1', 'k:m': '1' })
    ).toBe(false);
  });

  it('a malformed Condition does not hold', () => {
    expect(
      evaluateConditions('StringEquals', new ContextLookup({}), {
        variables: true
      })
    ).toEqual({ holds: false, reason: 'Condition is not an object' });
    expect(
      holds(
        { StringEquals: { 'aws:username': [{}] as unknown as string[] } },
        { 'aws:username': 'x' }
      )
    ).toBe(false);
  });
});
