/**
 * Evaluates a parsed Logs Insights query over log events: the system fields (@timestamp, @message, @logStream,
 * @log, @ingestionTime, @ptr), fields discovered in JSON messages, the commands in order, and results as
 * GetQueryResults gives them: one list of {field, value} per row, the requested fields in order, @ptr last.
 */
import type { Command, Expression } from './query-parser.js';

export interface ILogEvent {
  logGroupName: string;
  logStreamName: string;
  /** Epoch milliseconds. */
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

type Value = string | number | undefined;
type LogRecord = Map<string, Value>;

export interface IResultField {
  field: string;
  value: string;
}

export interface IEvaluation {
  rows: IResultField[][];
  recordsMatched: number;
  recordsScanned: number;
  bytesScanned: number;
}

const TIME_FIELDS = new Set(['@timestamp', '@ingestionTime']);
const DEFAULT_FIELDS = ['@timestamp', '@message', '@logStream', '@log'];

/** Insights shows times as `2026-11-25 09:15:19.539` (UTC). */
export function formatTimestamp(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace('T', ' ').slice(0, 23);
}

function discover(
  record: LogRecord,
  value: unknown,
  prefix: string,
  depth: number
): void {
  if (value === null || value === undefined || depth > 8) {
    return;
  }
  if (typeof value === 'object') {
    Object.entries(value as Record<string, unknown>).forEach(([key, inner]) =>
      discover(record, inner, prefix ? `${prefix}.${key}` : key, depth + 1)
    );
  } else if (prefix && !record.has(prefix)) {
    record.set(prefix, typeof value === 'number' ? value : String(value));
  }
}

function recordOf(event: ILogEvent, account: string): LogRecord {
  const record: LogRecord = new Map<string, Value>([
    ['@timestamp', event.timestamp],
    ['@message', event.message],
    ['@logStream', event.logStreamName],
    ['@log', `${account}:${event.logGroupName}`],
    ['@ingestionTime', event.ingestionTime],
    [
      '@ptr',
      Buffer.from(
        JSON.stringify([event.logGroupName, event.logStreamName, event.eventId])
      ).toString('base64url')
    ]
  ]);
  if (event.message.trimStart().startsWith('{')) {
    try {
      discover(record, JSON.parse(event.message), '', 0);
    } catch {
      // not JSON after all: only the system fields
    }
  }
  return record;
}

function numeric(value: Value): number | undefined {
  if (typeof value === 'number') {
    return value;
  }
  if (
    typeof value === 'string' &&
    value.trim() !== '' &&
    !isNaN(Number(value))
  ) {
    return Number(value);
  }
  return undefined;
}

function compare(left: Value, right: Value): number | undefined {
  if (left === undefined || right === undefined) {
    return undefined;
  }
  const [x, y] = [numeric(left), numeric(right)];
  if (x !== undefined && y !== undefined) {
    return x - y;
  }
  return String(left) < String(right)
    ? -1
    : String(left) > String(right)
      ? 1
      : 0;
}

function valueOf(expression: Expression, record: LogRecord): Value | boolean {
  switch (expression.type) {
    case 'field':
      return record.get(expression.name);
    case 'literal':
      return expression.value;
    case 'call': {
      const [first, second] = expression.args.map(arg => valueOf(arg, record));
      switch (expression.name) {
        case 'ispresent':
          return first !== undefined;
        case 'isempty':
          return first === undefined || first === '';
        case 'isblank':
          return first === undefined || String(first).trim() === '';
        case 'strcontains':
          return (
            first !== undefined && String(first).includes(String(second ?? ''))
          );
        case 'tolower':
          return first === undefined ? undefined : String(first).toLowerCase();
        default:
          return first === undefined ? undefined : String(first).toUpperCase();
      }
    }
    default:
      return test(expression, record);
  }
}

function scalar(value: Value | boolean): Value {
  return typeof value === 'boolean' ? String(value) : value;
}

function test(expression: Expression, record: LogRecord): boolean {
  switch (expression.type) {
    case 'and':
      return test(expression.left, record) && test(expression.right, record);
    case 'or':
      return test(expression.left, record) || test(expression.right, record);
    case 'not':
      return !test(expression.operand, record);
    case 'like': {
      const subject = scalar(valueOf(expression.subject, record));
      if (subject === undefined) {
        return false;
      }
      const text =
        typeof subject === 'number' &&
        TIME_FIELDS.has(fieldName(expression.subject))
          ? formatTimestamp(subject)
          : String(subject);
      return expression.pattern.type === 'regex'
        ? expression.pattern.regex.test(text)
        : text.includes(String(scalar(valueOf(expression.pattern, record))));
    }
    case 'in': {
      const subject = scalar(valueOf(expression.subject, record));
      const items =
        expression.list.type === 'list' ? expression.list.items : [];
      return items.some(
        item => compare(subject, scalar(valueOf(item, record))) === 0
      );
    }
    case 'compare': {
      const order = compare(
        scalar(valueOf(expression.left, record)),
        scalar(valueOf(expression.right, record))
      );
      if (order === undefined) {
        return false;
      }
      switch (expression.operator) {
        case '=':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case 'regex':
      return expression.regex.test(String(record.get('@message') ?? ''));
    default: {
      const value = valueOf(expression, record);
      return (
        value === true ||
        (typeof value !== 'boolean' && value !== undefined && value !== '')
      );
    }
  }
}

function fieldName(expression: Expression): string {
  return expression.type === 'field' ? expression.name : '';
}

function sortRecords(
  records: LogRecord[],
  keys: { field: string; descending: boolean }[]
): LogRecord[] {
  return [...records].sort((a, b) => {
    for (const key of keys) {
      const [x, y] = [a.get(key.field), b.get(key.field)];
      if (x === undefined || y === undefined) {
        if (x !== y) {
          return x === undefined ? 1 : -1;
        }
        continue;
      }
      const order = compare(x, y) ?? 0;
      if (order !== 0) {
        return key.descending ? -order : order;
      }
    }
    return 0;
  });
}

function render(field: string, value: Value): string {
  return typeof value === 'number' && TIME_FIELDS.has(field)
    ? formatTimestamp(value)
    : String(value);
}

/** Runs `commands` over `events` (already narrowed to the query's groups and time window). */
export function evaluate(
  commands: Command[],
  events: ILogEvent[],
  options: { account: string; limit: number }
): IEvaluation {
  let records = events.map(event => recordOf(event, options.account));
  const bytesScanned = events.reduce(
    (sum, event) => sum + Buffer.byteLength(event.message),
    0
  );
  const selected: string[] = [];
  let display: string[] | undefined;
  let sorted = false;
  let matched = records.length;
  for (const command of commands) {
    switch (command.type) {
      case 'filter':
        records = records.filter(record => test(command.expression, record));
        matched = records.length;
        break;
      case 'fields':
        command.projections.forEach(({ field, alias }) => {
          if (alias !== field) {
            records.forEach(record => record.set(alias, record.get(field)));
          }
          if (!selected.includes(alias)) {
            selected.push(alias);
          }
        });
        break;
      case 'display':
        display = command.projections.map(({ field, alias }) => {
          if (alias !== field) {
            records.forEach(record => record.set(alias, record.get(field)));
          }
          return alias;
        });
        break;
      case 'sort':
        records = sortRecords(records, command.keys);
        sorted = true;
        break;
      case 'limit':
        if (!sorted) {
          records = sortRecords(records, [
            { field: '@timestamp', descending: true }
          ]);
          sorted = true;
        }
        records = records.slice(0, command.count);
        break;
      case 'dedup': {
        const seen = new Set<string>();
        records = records.filter(record => {
          const key = JSON.stringify(command.fields.map(f => record.get(f)));
          if (seen.has(key)) {
            return false;
          }
          seen.add(key);
          return true;
        });
        matched = records.length;
        break;
      }
    }
  }
  if (!sorted) {
    records = sortRecords(records, [{ field: '@timestamp', descending: true }]);
  }
  const rows = records.slice(0, options.limit).map(record => {
    const discovered = [...record.keys()].filter(key => !key.startsWith('@'));
    const fields =
      display ??
      (selected.length > 0 ? selected : [...DEFAULT_FIELDS, ...discovered]);
    return [...fields.filter(field => field !== '@ptr'), '@ptr']
      .filter(field => record.get(field) !== undefined)
      .map(field => ({ field, value: render(field, record.get(field)) }));
  });
  return {
    rows,
    recordsMatched: matched,
    recordsScanned: events.length,
    bytesScanned
  };
}
