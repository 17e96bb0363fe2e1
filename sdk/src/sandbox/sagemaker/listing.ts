/**
 * SageMaker's List* conventions: NameContains / StatusEquals style filters, creation and modification windows,
 * SortBy / SortOrder (default CreationTime, Ascending, as the API reference says), MaxResults and NextToken.
 */
import { oneOf, validation } from './shapes.js';

/** What a list filters and sorts on. */
export interface IListFacts {
  name: string;
  status: string;
  /** Epoch milliseconds. */
  created: number;
  modified: number;
}

export interface IListRules {
  /** The request member holding a substring of the name, e.g. `NameContains`, `UserProfileNameContains`. */
  nameContains?: string;
  /** The request member holding a status, and the statuses it may name. */
  statusEquals?: { member: string; values: readonly string[] };
  /** SortBy values this list accepts; the first is the default. */
  sortBy: readonly ('CreationTime' | 'LastModifiedTime' | 'Name' | 'Status')[];
  maxResults?: { max: number; fallback: number };
}

function epochMember(
  input: Record<string, unknown>,
  member: string
): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number') {
    throw validation(`${member} must be a timestamp`);
  }
  return value * 1000;
}

function fingerprint(input: Record<string, unknown>): string {
  const rest = Object.fromEntries(
    Object.entries(input)
      .filter(([key]) => key !== 'NextToken' && key !== 'MaxResults')
      .sort(([a], [b]) => a.localeCompare(b))
  );
  return JSON.stringify(rest);
}

function offsetOf(input: Record<string, unknown>): number {
  const token = input.NextToken;
  if (token === undefined || token === null || token === '') {
    return 0;
  }
  const invalid = validation('The pagination token is not valid.');
  if (typeof token !== 'string') {
    throw invalid;
  }
  try {
    const decoded = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8')
    ) as { o?: unknown; q?: unknown };
    if (
      typeof decoded.o === 'number' &&
      Number.isInteger(decoded.o) &&
      decoded.o >= 0 &&
      decoded.q === fingerprint(input)
    ) {
      return decoded.o;
    }
  } catch {
    // falls through to the error
  }
  throw invalid;
}

function pageSize(
  input: Record<string, unknown>,
  limits: { max: number; fallback: number }
): number {
  const value = input.MaxResults;
  if (value === undefined || value === null) {
    return limits.fallback;
  }
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > limits.max
  ) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${limits.max}`
    );
  }
  return value;
}

/** One page of `items` as the request asks for it. */
export function listPage<T>(
  items: T[],
  input: Record<string, unknown>,
  rules: IListRules,
  facts: (item: T) => IListFacts
): { items: T[]; nextToken?: string } {
  const contains = rules.nameContains ? input[rules.nameContains] : undefined;
  const status = rules.statusEquals
    ? input[rules.statusEquals.member] === undefined
      ? undefined
      : oneOf(input, rules.statusEquals.member, rules.statusEquals.values)
    : undefined;
  const createdAfter = epochMember(input, 'CreationTimeAfter');
  const createdBefore = epochMember(input, 'CreationTimeBefore');
  const modifiedAfter = epochMember(input, 'LastModifiedTimeAfter');
  const modifiedBefore = epochMember(input, 'LastModifiedTimeBefore');
  const sortBy = oneOf(input, 'SortBy', rules.sortBy, rules.sortBy[0]);
  const order = oneOf(
    input,
    'SortOrder',
    ['Ascending', 'Descending'] as const,
    'Ascending'
  );
  const size = pageSize(input, rules.maxResults ?? { max: 100, fallback: 10 });
  const offset = offsetOf(input);

  const selected = items
    .map(item => ({ item, facts: facts(item) }))
    .filter(
      ({ facts: f }) =>
        (typeof contains !== 'string' || f.name.includes(contains)) &&
        (status === undefined || f.status === status) &&
        (createdAfter === undefined || f.created > createdAfter) &&
        (createdBefore === undefined || f.created < createdBefore) &&
        (modifiedAfter === undefined || f.modified > modifiedAfter) &&
        (modifiedBefore === undefined || f.modified < modifiedBefore)
    );
  const key = (f: IListFacts): string | number =>
    sortBy === 'Name'
      ? f.name
      : sortBy === 'Status'
        ? f.status
        : sortBy === 'LastModifiedTime'
          ? f.modified
          : f.created;
  selected.sort((a, b) => {
    const [x, y] = [key(a.facts), key(b.facts)];
    const compared =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y));
    return order === 'Ascending' ? compared : -compared;
  });
  const page = selected.slice(offset, offset + size).map(({ item }) => item);
  const next = offset + size;
  return {
    items: page,
    nextToken:
      next < selected.length
        ? Buffer.from(
            JSON.stringify({ o: next, q: fingerprint(input) })
          ).toString('base64url')
        : undefined
  };
}
