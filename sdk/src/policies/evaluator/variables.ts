/**
 * IAM policy variables (`${aws:username}`), as "IAM policy elements: Variables and tags" describes them:
 * - the name inside `${…}` is a context key, looked up case-insensitively, and is replaced by the key's value;
 * - `${key, 'default'}` supplies a default when the key has no value (`''` inside the quotes is one `'`);
 * - `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`;
 * - replacement happens once: a replaced value is literal text, never re-read as a variable or a wildcard;
 * - a variable with no value (and no default) cannot be resolved, which makes the statement not apply.
 */
import { ANY_CHAR, ANY_RUN, type GlobToken } from './wildcard.js';

/** The result of replacing the variables in one policy string. */
export interface ISubstitution {
  tokens: GlobToken[];
  /** Variables that could not be resolved, as written in the policy (`${aws:username}`), malformed ones too. */
  unresolved: string[];
}

/** Finds a variable's value; `undefined` when the request has none. */
export type VariableLookup = (key: string) => string | undefined;

/** Policy version from which variables are replaced; in `2008-10-17` (the default) `${…}` is literal text. */
export const VARIABLES_VERSION = '2012-10-17';

const ESCAPES = new Map([
  ['*', '*'],
  ['?', '?'],
  ['$', '$']
]);

interface IParsedVariable {
  name: string;
  fallback?: string;
  /** Index just past the closing `}`. */
  end: number;
}

function skipSpaces(text: string, index: number): number {
  let at = index;
  while (text[at] === ' ') {
    at += 1;
  }
  return at;
}

/** Parses the variable whose name starts at `start` (just after `${`); undefined when malformed. */
function parseVariable(
  text: string,
  start: number
): IParsedVariable | undefined {
  let at = start;
  while (at < text.length && text[at] !== ',' && text[at] !== '}') {
    at += 1;
  }
  const name = text.slice(start, at).trim();
  if (at >= text.length || name === '') {
    return undefined;
  }
  if (text[at] === '}') {
    return { name, end: at + 1 };
  }
  at = skipSpaces(text, at + 1);
  if (text[at] !== "'") {
    return undefined;
  }
  at += 1;
  let fallback = '';
  for (;;) {
    if (at >= text.length) {
      return undefined;
    }
    if (text[at] === "'") {
      if (text[at + 1] === "'") {
        fallback += "'";
        at += 2;
        continue;
      }
      break;
    }
    fallback += text[at];
    at += 1;
  }
  at = skipSpaces(text, at + 1);
  return text[at] === '}' ? { name, fallback, end: at + 1 } : undefined;
}

/**
 * Replaces the policy variables in `text`. With `wildcards`, a bare `*` or `?` becomes a wildcard token (for
 * Resource, StringLike, ArnLike); without, it is literal (StringEquals and friends).
 */
export function substituteVariables(
  text: string,
  lookup: VariableLookup,
  options: { wildcards: boolean }
): ISubstitution {
  const tokens: GlobToken[] = [];
  const unresolved: string[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') {
      tokens.push(literal);
      literal = '';
    }
  };
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === '$' && text[at + 1] === '{') {
      const parsed = parseVariable(text, at + 2);
      if (parsed === undefined) {
        unresolved.push(text.slice(at));
        literal += text.slice(at);
        break;
      }
      const escaped = ESCAPES.get(parsed.name);
      const value = escaped ?? lookup(parsed.name) ?? parsed.fallback;
      if (value === undefined) {
        unresolved.push(text.slice(at, parsed.end));
      } else {
        literal += value;
      }
      at = parsed.end;
      continue;
    }
    if (options.wildcards && (char === '*' || char === '?')) {
      flush();
      tokens.push(char === '*' ? ANY_RUN : ANY_CHAR);
    } else {
      literal += char;
    }
    at += 1;
  }
  flush();
  return { tokens, unresolved };
}

/** {@link substituteVariables} for a caller that wants plain text: the resolved string, or the unresolved names. */
export function resolveVariables(
  text: string,
  lookup: VariableLookup
): { text: string; unresolved: string[] } {
  const { tokens, unresolved } = substituteVariables(text, lookup, {
    wildcards: false
  });
  return { text: tokens.join(''), unresolved };
}
