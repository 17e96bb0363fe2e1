/**
 * The Condition element, as "IAM JSON policy elements: Condition operators" and "Conditions with multiple context
 * keys or values" describe it:
 * - condition operators are AND-ed, the keys under one operator are AND-ed, the values of one key are OR-ed;
 * - a negated operator (StringNotEquals, ArnNotLike, NotIpAddress, …) with several values is a NOR: it holds only
 *   when the request value matches none of them;
 * - a key missing from the request makes an operator false, except that a negated operator is then true, an
 *   `…IfExists` operator is true, `ForAllValues:` is true and `ForAnyValue:` is false;
 * - `ForAllValues:` holds when every request value satisfies the operator, `ForAnyValue:` when at least one does;
 * - condition key names are case-insensitive; values are case-sensitive except for the `IgnoreCase` operators;
 * - policy variables are replaced in the values of the string and ARN operators.
 */
import type { ContextLookup, IContextEntry } from './context.js';
import { ipInBlock } from './ip.js';
import { substituteVariables } from './variables.js';
import {
  matchArn,
  matchTokens,
  parseGlob,
  tokensToText,
  type GlobToken
} from './wildcard.js';

/** A policy value after variables were replaced: tokens for the wildcard operators, text for the others. */
interface IPolicyValue {
  tokens: GlobToken[];
  text: string;
}

/** `true` / `false`, or `undefined` when the two values cannot be compared (e.g. `abc` with a Numeric operator). */
type Comparison = boolean | undefined;

interface IBaseOperator {
  compare: (policy: IPolicyValue, request: string) => Comparison;
  /** Replaces policy variables in the values (string and ARN operators). */
  variables: boolean;
  /** Reads `*` and `?` in the values as wildcards. */
  wildcards: boolean;
  /** Words for a failed comparison: `"x" is not "y"`. */
  failVerb: string;
  /** Words for a successful one, used when a negated operator fails: `"x" is "y"`. */
  matchVerb: string;
}

interface IOperator {
  base: IBaseOperator;
  negated: boolean;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_SECONDS = /^-?\d+$/;

function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

/** ISO 8601 dates and times, or POSIX epoch seconds. */
function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_SECONDS.test(trimmed)) {
    return Number(trimmed) * 1000;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    return undefined;
  }
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? undefined : time;
}

function parseBool(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

function compareParsed<T>(
  parse: (text: string) => T | undefined,
  test: (policy: T, request: T) => boolean
) {
  return (policy: IPolicyValue, request: string): Comparison => {
    const left = parse(request);
    const right = parse(policy.text);
    return left === undefined || right === undefined
      ? undefined
      : test(right, left);
  };
}

function plain(
  compare: IBaseOperator['compare'],
  failVerb: string,
  matchVerb: string
): IBaseOperator {
  return { compare, variables: false, wildcards: false, failVerb, matchVerb };
}

const IS: [string, string] = ['is not', 'is'];

const STRING_EQUALS: IBaseOperator = {
  compare: (policy, request) => policy.text === request,
  variables: true,
  wildcards: false,
  failVerb: IS[0],
  matchVerb: IS[1]
};
const STRING_EQUALS_IGNORE_CASE: IBaseOperator = {
  ...STRING_EQUALS,
  compare: (policy, request) =>
    policy.text.toLowerCase() === request.toLowerCase()
};
const STRING_LIKE: IBaseOperator = {
  compare: (policy, request) => matchTokens(policy.tokens, request, 'plain'),
  variables: true,
  wildcards: true,
  failVerb: 'does not match',
  matchVerb: 'matches'
};
// IAM documents ArnEquals and ArnLike alike: segment by segment, wildcards allowed in both.
const ARN_LIKE: IBaseOperator = {
  ...STRING_LIKE,
  compare: (policy, request) => matchArn(policy.tokens, request)
};

const numeric = (
  test: (policy: number, request: number) => boolean,
  failVerb: string,
  matchVerb: string
) => plain(compareParsed(parseNumber, test), failVerb, matchVerb);
const date = (
  test: (policy: number, request: number) => boolean,
  failVerb: string,
  matchVerb: string
) => plain(compareParsed(parseDate, test), failVerb, matchVerb);

const NUMERIC_EQUALS = numeric((p, r) => r === p, ...IS);
const DATE_EQUALS = date((p, r) => r === p, ...IS);
const IP_ADDRESS = plain(
  (policy, request) => ipInBlock(policy.text, request),
  'is not in',
  'is in'
);

const OPERATORS = new Map<string, IOperator>([
  ['StringEquals', { base: STRING_EQUALS, negated: false }],
  ['StringNotEquals', { base: STRING_EQUALS, negated: true }],
  [
    'StringEqualsIgnoreCase',
    { base: STRING_EQUALS_IGNORE_CASE, negated: false }
  ],
  [
    'StringNotEqualsIgnoreCase',
    { base: STRING_EQUALS_IGNORE_CASE, negated: true }
  ],
  ['StringLike', { base: STRING_LIKE, negated: false }],
  ['StringNotLike', { base: STRING_LIKE, negated: true }],
  ['ArnEquals', { base: ARN_LIKE, negated: false }],
  ['ArnLike', { base: ARN_LIKE, negated: false }],
  ['ArnNotEquals', { base: ARN_LIKE, negated: true }],
  ['ArnNotLike', { base: ARN_LIKE, negated: true }],
  ['NumericEquals', { base: NUMERIC_EQUALS, negated: false }],
  ['NumericNotEquals', { base: NUMERIC_EQUALS, negated: true }],
  [
    'NumericLessThan',
    {
      base: numeric((p, r) => r < p, 'is not less than', 'is less than'),
      negated: false
    }
  ],
  [
    'NumericLessThanEquals',
    {
      base: numeric((p, r) => r <= p, 'is not at most', 'is at most'),
      negated: false
    }
  ],
  [
    'NumericGreaterThan',
    {
      base: numeric((p, r) => r > p, 'is not greater than', 'is greater than'),
      negated: false
    }
  ],
  [
    'NumericGreaterThanEquals',
    {
      base: numeric((p, r) => r >= p, 'is not at least', 'is at least'),
      negated: false
    }
  ],
  ['DateEquals', { base: DATE_EQUALS, negated: false }],
  ['DateNotEquals', { base: DATE_EQUALS, negated: true }],
  [
    'DateLessThan',
    {
      base: date((p, r) => r < p, 'is not before', 'is before'),
      negated: false
    }
  ],
  [
    'DateLessThanEquals',
    { base: date((p, r) => r <= p, 'is after', 'is not after'), negated: false }
  ],
  [
    'DateGreaterThan',
    { base: date((p, r) => r > p, 'is not after', 'is after'), negated: false }
  ],
  [
    'DateGreaterThanEquals',
    {
      base: date((p, r) => r >= p, 'is before', 'is not before'),
      negated: false
    }
  ],
  [
    'Bool',
    {
      base: plain(
        compareParsed(parseBool, (p, r) => r === p),
        ...IS
      ),
      negated: false
    }
  ],
  [
    'BinaryEquals',
    {
      base: plain((policy, request) => policy.text === request, ...IS),
      negated: false
    }
  ],
  ['IpAddress', { base: IP_ADDRESS, negated: false }],
  ['NotIpAddress', { base: IP_ADDRESS, negated: true }]
]);

const NULL_OPERATOR = 'Null';
const IF_EXISTS = 'IfExists';
const SET_OPERATORS = ['ForAnyValue', 'ForAllValues'] as const;
type SetOperator = (typeof SET_OPERATORS)[number];

interface IParsedOperator {
  name: string;
  set?: SetOperator;
  ifExists: boolean;
  /** Undefined for `Null`. */
  operator?: IOperator;
}

/**
 * Reads an operator name such as `ForAllValues:StringLikeIfExists`; undefined when IAM has no such operator.
 * Operator names are matched exactly as AWS spells them.
 */
export function parseOperator(name: string): IParsedOperator | undefined {
  let rest = name;
  let set: SetOperator | undefined;
  for (const candidate of SET_OPERATORS) {
    if (rest.startsWith(`${candidate}:`)) {
      set = candidate;
      rest = rest.slice(candidate.length + 1);
      break;
    }
  }
  if (rest === NULL_OPERATOR) {
    return set === undefined ? { name, ifExists: false } : undefined;
  }
  const ifExists = rest.endsWith(IF_EXISTS);
  const operator = OPERATORS.get(
    ifExists ? rest.slice(0, -IF_EXISTS.length) : rest
  );
  return operator === undefined ? undefined : { name, set, ifExists, operator };
}

/** The names of the base operators this evaluator knows (without `IfExists` and set prefixes), and `Null`. */
export const CONDITION_OPERATORS: readonly string[] = [
  ...OPERATORS.keys(),
  NULL_OPERATOR
];

/** Whether a condition (one operator, or the whole block) holds, and if not, why. */
export interface IConditionOutcome {
  holds: boolean;
  reason?: string;
}

/** How a condition block is read. */
export interface IConditionOptions {
  /** Replace policy variables (policy version 2012-10-17). */
  variables: boolean;
}

const HOLDS: IConditionOutcome = { holds: true };

function quote(value: string): string {
  return JSON.stringify(value);
}

function quoteList(values: readonly string[], joiner = 'any of'): string {
  return values.length === 1
    ? quote(values[0])
    : `${joiner} ${values.map(quote).join(', ')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function policyTexts(raw: unknown): string[] | undefined {
  const list = Array.isArray(raw) ? raw : [raw];
  const texts: string[] = [];
  for (const value of list) {
    if (
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      return undefined;
    }
    texts.push(String(value));
  }
  return texts;
}

function evaluateNull(
  texts: string[],
  entry: IContextEntry
): IConditionOutcome {
  const isNull = !entry.present || entry.values.length === 0;
  for (const text of texts) {
    const expected = parseBool(text);
    if (expected === undefined) {
      return {
        holds: false,
        reason: `Null takes "true" or "false", not ${quote(text)}`
      };
    }
    if (expected === isNull) {
      return HOLDS;
    }
  }
  return {
    holds: false,
    reason: isNull
      ? 'the key is not in the request context'
      : `the key is in the request context (${quoteList(entry.values, 'values')})`
  };
}

function evaluateKey(
  parsed: IParsedOperator,
  key: string,
  raw: unknown,
  lookup: ContextLookup,
  options: IConditionOptions
): IConditionOutcome {
  const fail = (detail: string): IConditionOutcome => ({
    holds: false,
    reason: `condition ${parsed.name} ${key}: ${detail}`
  });
  const texts = policyTexts(raw);
  if (texts === undefined) {
    return fail('values must be strings, numbers or booleans');
  }
  const entry = lookup.get(key);
  const { operator } = parsed;
  if (operator === undefined) {
    const outcome = evaluateNull(texts, entry);
    return outcome.holds ? outcome : fail(outcome.reason ?? '');
  }
  const { base, negated } = operator;
  const values: IPolicyValue[] = [];
  for (const text of texts) {
    if (base.variables && options.variables) {
      const substitution = substituteVariables(
        text,
        name => lookup.variable(name),
        { wildcards: base.wildcards }
      );
      if (substitution.unresolved.length > 0) {
        return fail(
          `policy variable ${substitution.unresolved.join(', ')} has no value in the request`
        );
      }
      values.push({
        tokens: substitution.tokens,
        text: tokensToText(substitution.tokens)
      });
    } else {
      values.push({ tokens: base.wildcards ? parseGlob(text) : [text], text });
    }
  }
  const policyList = values.map(value => value.text);

  if (!entry.present || entry.values.length === 0) {
    if (
      parsed.ifExists ||
      parsed.set === 'ForAllValues' ||
      (parsed.set === undefined && negated)
    ) {
      return HOLDS;
    }
    return fail('the key is not in the request context');
  }

  // For one request value: does it satisfy the operator? Negated operators hold only on a clear "no match".
  const satisfies = (request: string): boolean =>
    negated
      ? values.every(value => base.compare(value, request) === false)
      : values.some(value => base.compare(value, request) === true);
  const explain = (request: string): string => {
    if (negated) {
      const hit = values.find(value => base.compare(value, request) !== false);
      return `${quote(request)} ${base.matchVerb} ${quote(hit?.text ?? '')}`;
    }
    return `${quote(request)} ${base.failVerb} ${quoteList(policyList)}`;
  };

  if (parsed.set === 'ForAllValues') {
    const offender = entry.values.find(request => !satisfies(request));
    return offender === undefined
      ? HOLDS
      : fail(`request value ${explain(offender)}`);
  }
  if (parsed.set === 'ForAnyValue') {
    return entry.values.some(satisfies)
      ? HOLDS
      : fail(
          `no request value satisfies it: ${entry.values.map(explain).join('; ')}`
        );
  }
  // Without a set operator a multivalued key behaves like ForAnyValue, and its negation like "none matches".
  const holds = negated
    ? entry.values.every(satisfies)
    : entry.values.some(satisfies);
  if (holds) {
    return HOLDS;
  }
  const shown = negated
    ? entry.values.filter(request => !satisfies(request))
    : entry.values;
  return fail(shown.map(explain).join('; '));
}

/** Evaluates a statement's whole Condition element against the request context. */
export function evaluateConditions(
  condition: unknown,
  lookup: ContextLookup,
  options: IConditionOptions
): IConditionOutcome {
  if (condition === undefined) {
    return HOLDS;
  }
  if (!isPlainObject(condition)) {
    return { holds: false, reason: 'Condition is not an object' };
  }
  for (const [operatorName, keys] of Object.entries(condition)) {
    const parsed = parseOperator(operatorName);
    if (parsed === undefined) {
      return {
        holds: false,
        reason: `unknown condition operator ${quote(operatorName)}`
      };
    }
    if (!isPlainObject(keys)) {
      return {
        holds: false,
        reason: `condition ${operatorName} is not an object of context keys`
      };
    }
    for (const [key, raw] of Object.entries(keys)) {
      const outcome = evaluateKey(parsed, key, raw, lookup, options);
      if (!outcome.holds) {
        return outcome;
      }
    }
  }
  return HOLDS;
}
