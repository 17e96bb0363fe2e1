import { ContextLookup } from './context.js';
import { resolveVariables, substituteVariables } from './variables.js';
import { ANY_RUN, matchResource } from './wildcard.js';

const lookup = new ContextLookup({
  'aws:username': 'alice',
  'aws:userid': 'AROAX:alice',
  'aws:PrincipalTag/team': 'blue',
  'aws:TagKeys': ['a', 'b'],
  'aws:MultiFactorAuthPresent': true
});
const find = (key: string): string | undefined => lookup.variable(key);

describe('policy variables (IAM policy elements: Variables and tags)', () => {
  it.each([
    [
      'a variable is replaced by the context value',
      'home/${aws:username}/',
      'home/alice/'
    ],
    ['variable names are case-insensitive', '${AWS:UserName}', 'alice'],
    [
      'tags as policy variables: ${aws:PrincipalTag/team}',
      'team-${aws:PrincipalTag/team}',
      'team-blue'
    ],
    [
      'specifying default values: the default is used when the key has no value',
      "${aws:PrincipalTag/project, 'company-wide'}",
      'company-wide'
    ],
    [
      'specifying default values: the value wins over the default',
      "${aws:username, 'guest'}",
      'alice'
    ],
    [
      "specifying default values: '' in a default is one quote",
      "${aws:none, 'it''s'}",
      "it's"
    ],
    ['special characters: ${*} ${?} ${$}', 'a${*}b${?}c${$}', 'a*b?c$'],
    [
      'a boolean context value is its text',
      '${aws:MultiFactorAuthPresent}',
      'true'
    ],
    [
      'replacement happens once: a default is not read again',
      "${aws:none, '${aws:username}'}",
      '${aws:username}'
    ],
    ['a "$" not followed by "{" is literal', 'cost$5', 'cost$5']
  ])('%s', (_title, text, expected) => {
    expect(resolveVariables(text, find)).toEqual({
      text: expected,
      unresolved: []
    });
  });

  it.each([
    [
      'policy variables with no value: a missing key cannot be resolved',
      'home/${aws:username2}/',
      ['${aws:username2}']
    ],
    [
      'multivalued context keys cannot be policy variables',
      '${aws:TagKeys}',
      ['${aws:TagKeys}']
    ],
    [
      'a malformed variable is unresolvable',
      'x-${aws:username',
      ['${aws:username']
    ],
    [
      'a default without quotes is malformed',
      '${aws:none, guest}',
      ['${aws:none, guest}']
    ]
  ])('%s', (_title, text, unresolved) => {
    expect(resolveVariables(text, find).unresolved).toEqual(unresolved);
  });

  it('escaped and substituted "*" stay literal while a bare "*" is a wildcard', () => {
    const { tokens } = substituteVariables(
      'arn:aws:s3:::b/${aws:username}/${*}/*',
      find,
      { wildcards: true }
    );
    expect(tokens).toEqual(['arn:aws:s3:::b/alice/*/', ANY_RUN]);
    expect(matchResource(tokens, 'arn:aws:s3:::b/alice/*/x')).toBe(true);
    expect(matchResource(tokens, 'arn:aws:s3:::b/alice/y/x')).toBe(false);
  });

  it('a substituted value with "*" in it is not a wildcard', () => {
    const starry = new ContextLookup({ 'aws:PrincipalTag/p': '*' });
    const { tokens } = substituteVariables(
      '${aws:PrincipalTag/p}',
      key => starry.variable(key),
      { wildcards: true }
    );
    expect(matchResource(tokens, 'anything')).toBe(false);
    expect(matchResource(tokens, '*')).toBe(true);
  });
});
