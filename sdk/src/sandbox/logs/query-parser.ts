/**
 * A parser for the part of the CloudWatch Logs Insights query language that clients of this product send:
 * `fields`, `display`, `filter` (like / not like with 'strings' and /regexes/, =~, comparisons, in, and/or/not,
 * parentheses, ispresent/isempty/strcontains), `sort`, `limit` and `dedup`, separated by `|`, `#` comments.
 * Anything else is refused with MalformedQueryException and the offending span, never silently ignored.
 */
import { AwsServiceError } from '../aws-json-server.js';

export type Expression =
  | { type: 'field'; name: string }
  | { type: 'literal'; value: string | number }
  | { type: 'regex'; regex: RegExp }
  | { type: 'list'; items: Expression[] }
  | { type: 'not'; operand: Expression }
  | { type: 'and' | 'or'; left: Expression; right: Expression }
  | {
      type: 'compare';
      operator: '=' | '!=' | '<' | '<=' | '>' | '>=';
      left: Expression;
      right: Expression;
    }
  | { type: 'like'; subject: Expression; pattern: Expression }
  | { type: 'in'; subject: Expression; list: Expression }
  | { type: 'call'; name: string; args: Expression[] };

export interface IProjection {
  field: string;
  alias: string;
}

export type Command =
  | { type: 'fields' | 'display'; projections: IProjection[] }
  | { type: 'filter'; expression: Expression }
  | { type: 'sort'; keys: { field: string; descending: boolean }[] }
  | { type: 'limit'; count: number }
  | { type: 'dedup'; fields: string[] };

export const MAX_LIMIT = 10_000;

const FUNCTIONS: Record<string, number> = {
  ispresent: 1,
  isempty: 1,
  isblank: 1,
  strcontains: 2,
  tolower: 1,
  toupper: 1
};

const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'like',
  'in',
  'as',
  'asc',
  'desc'
]);

interface IToken {
  kind: 'word' | 'string' | 'number' | 'regex' | 'symbol' | 'end';
  text: string;
  value?: string | number | RegExp;
  start: number;
  end: number;
}

/** MalformedQueryException with the span AWS reports in `queryCompileError`. */
export function malformed(
  message: string,
  start: number,
  end: number
): AwsServiceError {
  return new AwsServiceError('MalformedQueryException', message, 400, {
    queryCompileError: {
      location: { startCharOffset: start, endCharOffset: end },
      message
    }
  });
}

/** Insights regexes use Java/RE2 syntax; a leading `(?i)` is the one inline flag JavaScript needs translated. */
function toRegExp(source: string, flags: string, start: number, end: number) {
  let body = source;
  let jsFlags = flags.includes('i') ? 'i' : '';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    jsFlags = 'i';
  }
  try {
    return new RegExp(body, jsFlags);
  } catch (error) {
    throw malformed(
      `Invalid regular expression: ${(error as Error).message}`,
      start,
      end
    );
  }
}

function readQuoted(query: string, at: number, quote: string) {
  let text = '';
  let index = at + 1;
  while (index < query.length && query[index] !== quote) {
    if (query[index] === '\\' && index + 1 < query.length) {
      const next = query[index + 1];
      text += next === quote || next === '\\' ? next : `\\${next}`;
      index += 2;
    } else {
      text += query[index];
      index += 1;
    }
  }
  if (index >= query.length) {
    throw malformed('Unterminated quoted string', at, query.length);
  }
  return { text, end: index + 1 };
}

function tokenize(query: string): IToken[] {
  const tokens: IToken[] = [];
  let index = 0;
  while (index < query.length) {
    const char = query[index];
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '#') {
      while (index < query.length && query[index] !== '\n') {
        index += 1;
      }
      continue;
    }
    const start = index;
    if (char === "'" || char === '"') {
      const { text, end } = readQuoted(query, index, char);
      tokens.push({ kind: 'string', text, value: text, start, end });
      index = end;
    } else if (char === '`') {
      const { text, end } = readQuoted(query, index, '`');
      tokens.push({ kind: 'word', text, start, end });
      index = end;
    } else if (char === '/') {
      let body = '';
      index += 1;
      while (index < query.length && query[index] !== '/') {
        if (query[index] === '\\' && query[index + 1] === '/') {
          body += '/';
          index += 2;
        } else if (query[index] === '\\' && index + 1 < query.length) {
          body += query.slice(index, index + 2);
          index += 2;
        } else {
          body += query[index];
          index += 1;
        }
      }
      if (index >= query.length) {
        throw malformed('Unterminated regular expression', start, query.length);
      }
      index += 1;
      const flags = /^[a-z]*/.exec(query.slice(index))?.[0] ?? '';
      index += flags.length;
      tokens.push({
        kind: 'regex',
        text: query.slice(start, index),
        value: toRegExp(body, flags, start, index),
        start,
        end: index
      });
    } else if (
      /[0-9]/.test(char) ||
      (char === '-' && /[0-9]/.test(query[index + 1] ?? ''))
    ) {
      const text = /^-?\d+(\.\d+)?/.exec(query.slice(index))?.[0] ?? char;
      index += text.length;
      tokens.push({
        kind: 'number',
        text,
        value: Number(text),
        start,
        end: index
      });
    } else if (/[@A-Za-z_]/.test(char)) {
      const text = /^[@A-Za-z_][\w.@$-]*/.exec(query.slice(index))?.[0] ?? char;
      index += text.length;
      tokens.push({ kind: 'word', text, start, end: index });
    } else {
      const symbol =
        ['=~', '!=', '<=', '>='].find(candidate =>
          query.startsWith(candidate, index)
        ) ?? char;
      // anything else is a symbol of its own, refused by the parser where it stands
      index += symbol.length;
      tokens.push({ kind: 'symbol', text: symbol, start, end: index });
    }
  }
  tokens.push({
    kind: 'end',
    text: '',
    start: query.length,
    end: query.length
  });
  return tokens;
}

class Parser {
  private at = 0;

  constructor(private readonly tokens: IToken[]) {}

  private peek(offset = 0): IToken {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)];
  }

  private next(): IToken {
    const token = this.peek();
    this.at = Math.min(this.at + 1, this.tokens.length - 1);
    return token;
  }

  private isWord(token: IToken, word: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  private isSymbol(token: IToken, symbol: string): boolean {
    return token.kind === 'symbol' && token.text === symbol;
  }

  private fail(message: string, token = this.peek()): never {
    throw malformed(message, token.start, Math.max(token.end, token.start + 1));
  }

  private expectSymbol(symbol: string): void {
    if (!this.isSymbol(this.next(), symbol)) {
      this.fail(`Expected '${symbol}'`, this.tokens[this.at - 1]);
    }
  }

  private commandEnd(): boolean {
    const token = this.peek();
    return token.kind === 'end' || this.isSymbol(token, '|');
  }

  parse(): Command[] {
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.command());
      if (this.peek().kind === 'end') {
        return commands;
      }
      if (!this.isSymbol(this.peek(), '|')) {
        this.fail(`Unexpected '${this.peek().text}'`);
      }
      this.next();
    }
  }

  private command(): Command {
    const token = this.next();
    if (token.kind !== 'word') {
      this.fail(
        'Expected a command such as fields, filter, sort or limit',
        token
      );
    }
    const name = token.text.toLowerCase();
    switch (name) {
      case 'fields':
      case 'display':
        return { type: name, projections: this.projections() };
      case 'filter': {
        const expression = this.expression();
        return { type: 'filter', expression };
      }
      case 'sort':
        return { type: 'sort', keys: this.sortKeys() };
      case 'limit': {
        const count = this.next();
        if (
          count.kind !== 'number' ||
          !Number.isInteger(count.value) ||
          (count.value as number) < 1 ||
          (count.value as number) > MAX_LIMIT
        ) {
          this.fail(`limit takes a whole number from 1 to ${MAX_LIMIT}`, count);
        }
        return { type: 'limit', count: count.value as number };
      }
      case 'dedup':
        return { type: 'dedup', fields: this.fieldList() };
      default:
        throw malformed(
          `The sandbox's Logs Insights does not evaluate the command '${token.text}' (it evaluates fields, display, filter, sort, limit and dedup)`,
          token.start,
          token.end
        );
    }
  }

  private fieldName(): string {
    const token = this.next();
    if (token.kind !== 'word' || KEYWORDS.has(token.text.toLowerCase())) {
      this.fail('Expected a field name', token);
    }
    if (this.isSymbol(this.peek(), '(')) {
      this.fail(
        `The sandbox's Logs Insights takes plain field names here, not ${token.text}(…)`,
        token
      );
    }
    return token.text;
  }

  private fieldList(): string[] {
    const fields = [this.fieldName()];
    while (this.isSymbol(this.peek(), ',')) {
      this.next();
      fields.push(this.fieldName());
    }
    if (!this.commandEnd()) {
      this.fail(`Unexpected '${this.peek().text}'`);
    }
    return fields;
  }

  private projections(): IProjection[] {
    const projections: IProjection[] = [];
    for (;;) {
      const field = this.fieldName();
      let alias = field;
      if (this.isWord(this.peek(), 'as')) {
        this.next();
        alias = this.fieldName();
      }
      projections.push({ field, alias });
      if (!this.isSymbol(this.peek(), ',')) {
        break;
      }
      this.next();
    }
    if (!this.commandEnd()) {
      this.fail(`Unexpected '${this.peek().text}'`);
    }
    return projections;
  }

  private sortKeys(): { field: string; descending: boolean }[] {
    const keys: { field: string; descending: boolean }[] = [];
    for (;;) {
      const field = this.fieldName();
      let descending = false;
      if (this.isWord(this.peek(), 'desc') || this.isWord(this.peek(), 'asc')) {
        descending = this.next().text.toLowerCase() === 'desc';
      }
      keys.push({ field, descending });
      if (!this.isSymbol(this.peek(), ',')) {
        break;
      }
      this.next();
    }
    if (!this.commandEnd()) {
      this.fail(`Unexpected '${this.peek().text}'`);
    }
    return keys;
  }

  private expression(): Expression {
    const expression = this.or();
    if (!this.commandEnd()) {
      this.fail(`Unexpected '${this.peek().text}'`);
    }
    return expression;
  }

  private or(): Expression {
    let left = this.and();
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { type: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Expression {
    if (this.isWord(this.peek(), 'not')) {
      this.next();
      return { type: 'not', operand: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Expression {
    const subject = this.operand();
    const token = this.peek();
    if (this.isWord(token, 'like')) {
      this.next();
      return { type: 'like', subject, pattern: this.pattern() };
    }
    if (this.isWord(token, 'in')) {
      this.next();
      return { type: 'in', subject, list: this.list() };
    }
    if (this.isWord(token, 'not')) {
      const after = this.peek(1);
      if (this.isWord(after, 'like')) {
        this.next();
        this.next();
        return {
          type: 'not',
          operand: { type: 'like', subject, pattern: this.pattern() }
        };
      }
      if (this.isWord(after, 'in')) {
        this.next();
        this.next();
        return {
          type: 'not',
          operand: { type: 'in', subject, list: this.list() }
        };
      }
    }
    if (this.isSymbol(token, '=~')) {
      this.next();
      const pattern = this.next();
      if (pattern.kind !== 'regex') {
        this.fail('=~ takes a regular expression such as /error/', pattern);
      }
      return {
        type: 'like',
        subject,
        pattern: { type: 'regex', regex: pattern.value as RegExp }
      };
    }
    if (
      token.kind === 'symbol' &&
      ['=', '!=', '<', '<=', '>', '>='].includes(token.text)
    ) {
      this.next();
      return {
        type: 'compare',
        operator: token.text as '=' | '!=' | '<' | '<=' | '>' | '>=',
        left: subject,
        right: this.operand()
      };
    }
    return subject;
  }

  private pattern(): Expression {
    const token = this.next();
    if (token.kind === 'regex') {
      return { type: 'regex', regex: token.value as RegExp };
    }
    if (token.kind === 'string') {
      return { type: 'literal', value: token.value as string };
    }
    return this.fail("like takes a 'string' or a /regular expression/", token);
  }

  private list(): Expression {
    this.expectSymbol('[');
    const items: Expression[] = [];
    while (!this.isSymbol(this.peek(), ']')) {
      items.push(this.operand());
      if (this.isSymbol(this.peek(), ',')) {
        this.next();
      } else if (!this.isSymbol(this.peek(), ']')) {
        this.fail("Expected ',' or ']'");
      }
    }
    this.next();
    return { type: 'list', items };
  }

  private operand(): Expression {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') {
      return { type: 'literal', value: token.value as string | number };
    }
    if (token.kind === 'regex') {
      return { type: 'regex', regex: token.value as RegExp };
    }
    if (this.isSymbol(token, '(')) {
      const inner = this.or();
      this.expectSymbol(')');
      return inner;
    }
    if (token.kind === 'word' && !KEYWORDS.has(token.text.toLowerCase())) {
      if (!this.isSymbol(this.peek(), '(')) {
        return { type: 'field', name: token.text };
      }
      const name = token.text.toLowerCase();
      if (!(name in FUNCTIONS)) {
        this.fail(
          `The sandbox's Logs Insights does not evaluate the function ${token.text}`,
          token
        );
      }
      this.next();
      const args: Expression[] = [];
      while (!this.isSymbol(this.peek(), ')')) {
        args.push(this.operand());
        if (this.isSymbol(this.peek(), ',')) {
          this.next();
        } else if (!this.isSymbol(this.peek(), ')')) {
          this.fail("Expected ',' or ')'");
        }
      }
      this.next();
      if (args.length !== FUNCTIONS[name]) {
        this.fail(`${token.text} takes ${FUNCTIONS[name]} argument(s)`, token);
      }
      return { type: 'call', name, args };
    }
    return this.fail(
      token.kind === 'end'
        ? 'Unexpected end of query'
        : `Unexpected '${token.text}'`,
      token
    );
  }
}

/** Parses a query; throws MalformedQueryException (with `queryCompileError`) on what it cannot evaluate. */
export function parseQuery(query: string): Command[] {
  if (query.trim().length === 0) {
    throw malformed('The query is empty', 0, 0);
  }
  return new Parser(tokenize(query)).parse();
}
