/**
 * IAM's glob matching: `*` matches any run of characters (including none), `?` exactly one character.
 * Patterns are token lists rather than strings so that a literal `*` or `?` (written `${*}` / `${?}` in a
 * policy, or coming from a substituted variable) stays literal.
 */

/** Token for `*`. */
export const ANY_RUN: unique symbol = Symbol('*');
/** Token for `?`. */
export const ANY_CHAR: unique symbol = Symbol('?');

/** A literal chunk of text, or one of the two wildcards. */
export type GlobToken = string | typeof ANY_RUN | typeof ANY_CHAR;

/** Splits plain pattern text into tokens: every `*` and `?` is a wildcard, everything else literal. */
export function parseGlob(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let literal = '';
  for (const char of pattern) {
    if (char === '*' || char === '?') {
      if (literal !== '') {
        tokens.push(literal);
        literal = '';
      }
      tokens.push(char === '*' ? ANY_RUN : ANY_CHAR);
    } else {
      literal += char;
    }
  }
  if (literal !== '') {
    tokens.push(literal);
  }
  return tokens;
}

/** The text the tokens stand for, with wildcards written back as `*` and `?` (for reasons and exact operators). */
export function tokensToText(tokens: readonly GlobToken[]): string {
  return tokens
    .map(token => (token === ANY_RUN ? '*' : token === ANY_CHAR ? '?' : token))
    .join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function startsWithColon(token: GlobToken | undefined): boolean {
  return (
    token === undefined || (typeof token === 'string' && token.startsWith(':'))
  );
}

/**
 * How a pattern is matched:
 * - `plain`: the whole value, case-sensitive (StringLike, NotResource of non-ARNs).
 * - `ignoreCase`: the whole value, case-insensitive (Action, NotAction).
 * - `resource`: the Resource element's rule: wildcards stay inside one colon-separated segment, except that a
 *   `*` ending a segment may run on past colons (AWS: "If the * wildcard is the last character of a resource ARN
 *   segment, it can expand to match beyond the colon boundaries").
 */
export type GlobMode = 'plain' | 'ignoreCase' | 'resource';

function compile(tokens: readonly GlobToken[], mode: GlobMode): RegExp {
  let source = '';
  tokens.forEach((token, index) => {
    if (token === ANY_RUN) {
      source +=
        mode === 'resource' && !startsWithColon(tokens[index + 1])
          ? '[^:]*'
          : '[\\s\\S]*';
    } else if (token === ANY_CHAR) {
      source += mode === 'resource' ? '[^:]' : '[\\s\\S]';
    } else {
      source += escapeRegExp(token);
    }
  });
  return new RegExp(`^${source}$`, mode === 'ignoreCase' ? 'iu' : 'u');
}

/** Whether `value` matches the tokenised pattern. */
export function matchTokens(
  tokens: readonly GlobToken[],
  value: string,
  mode: GlobMode = 'plain'
): boolean {
  return compile(tokens, mode).test(value);
}

/** Whether `value` matches the pattern text (`*` and `?` are wildcards). */
export function matchGlob(
  pattern: string,
  value: string,
  mode: GlobMode = 'plain'
): boolean {
  return matchTokens(parseGlob(pattern), value, mode);
}

/** Action matching: `ssm:Start*` matches `SSM:StartSession`; action names are case-insensitive. */
export function matchAction(pattern: string, action: string): boolean {
  return matchGlob(pattern, action, 'ignoreCase');
}

/** Resource element matching, case-sensitive, see {@link GlobMode} `resource`. */
export function matchResource(
  pattern: readonly GlobToken[] | string,
  resource: string
): boolean {
  return matchTokens(
    typeof pattern === 'string' ? parseGlob(pattern) : pattern,
    resource,
    'resource'
  );
}

const ARN_FIELDS = 6;

/** Splits at the first five colons: partition… account, and the resource (which may itself hold colons). */
function splitArnText(value: string): string[] | undefined {
  const parts = value.split(':');
  if (parts.length < ARN_FIELDS || parts[0] !== 'arn') {
    return undefined;
  }
  return [
    ...parts.slice(0, ARN_FIELDS - 1),
    parts.slice(ARN_FIELDS - 1).join(':')
  ];
}

function splitArnTokens(tokens: readonly GlobToken[]): GlobToken[][] {
  const segments: GlobToken[][] = [[]];
  for (const token of tokens) {
    if (typeof token !== 'string') {
      segments[segments.length - 1].push(token);
      continue;
    }
    const pieces = token.split(':');
    pieces.forEach((piece, index) => {
      if (index > 0) {
        if (segments.length < ARN_FIELDS) {
          segments.push([]);
        } else {
          segments[segments.length - 1].push(':');
        }
      }
      if (piece !== '') {
        segments[segments.length - 1].push(piece);
      }
    });
  }
  return segments;
}

/**
 * ArnEquals / ArnLike: "each of the six colon-delimited components of the ARN is checked separately and each can
 * include multi-character match wildcards (*) or single-character match wildcards (?)". Case-sensitive. A value
 * that is not an ARN never matches; a pattern that is only wildcards (e.g. `*`) matches every ARN.
 */
export function matchArn(
  pattern: readonly GlobToken[] | string,
  value: string
): boolean {
  const tokens = typeof pattern === 'string' ? parseGlob(pattern) : pattern;
  const valueParts = splitArnText(value);
  if (valueParts === undefined) {
    return false;
  }
  if (tokens.length > 0 && tokens.every(token => token === ANY_RUN)) {
    return true;
  }
  const patternParts = splitArnTokens(tokens);
  if (patternParts.length !== ARN_FIELDS) {
    return false;
  }
  return patternParts.every((segment, index) =>
    matchTokens(segment, valueParts[index], 'plain')
  );
}
