/**
 * The pure parts of the SSM list operations: request validation in AWS's words, DescribeInstanceInformation's two
 * filter styles, and MaxResults / NextToken pagination. No state, no I/O: unit-tested on their own.
 */
import { createHash } from 'node:crypto';
import { AwsServiceError } from '../aws-json-server.js';

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

/** What DescribeInstanceInformation's filters look at. */
export interface IInstanceFacts {
  instanceId: string;
  pingStatus: PingStatus;
  agentVersion: string;
  platformType: string;
  activationId?: string;
  iamRole: string;
  resourceType: string;
  associationStatus?: string;
  tags: ReadonlyMap<string, string>;
}

export function validationError(message: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: ${message}`
  );
}

/** A managed instance id (`mi-` and 17 hex digits) or an EC2 instance id. */
export const INSTANCE_ID = /^(mi-[0-9a-f]{17}|i-[0-9a-f]{8,17})$/;

const LEGACY_KEYS = [
  'InstanceIds',
  'AgentVersion',
  'PingStatus',
  'PlatformTypes',
  'ActivationIds',
  'IamRole',
  'ResourceType',
  'AssociationStatus'
];

/** Values some keys accept; anything else is InvalidInstanceInformationFilterValue. */
const ALLOWED_VALUES: Record<string, string[]> = {
  PingStatus: ['Online', 'ConnectionLost', 'Inactive'],
  PlatformTypes: ['Windows', 'Linux', 'MacOS'],
  ResourceType: ['ManagedInstance', 'EC2Instance']
};

function strings(value: unknown, where: string, max: number): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every(item => typeof item === 'string' && item.length > 0)
  ) {
    throw validationError(
      `Value at '${where}' failed to satisfy constraint: Member must have length greater than or equal to 1`
    );
  }
  if (value.length > max) {
    throw validationError(
      `Value at '${where}' failed to satisfy constraint: Member must have length less than or equal to ${max}`
    );
  }
  return value as string[];
}

function records(value: unknown, where: string): Record<string, unknown>[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (
    !Array.isArray(value) ||
    !value.every(item => item !== null && typeof item === 'object')
  ) {
    throw new AwsServiceError(
      'SerializationException',
      `${where} must be a list of objects`
    );
  }
  return value as Record<string, unknown>[];
}

interface IFilter {
  key: string;
  values: string[];
}

function factValues(key: string, instance: IInstanceFacts): string[] {
  switch (key) {
    case 'InstanceIds':
      return [instance.instanceId];
    case 'AgentVersion':
      return [instance.agentVersion];
    case 'PingStatus':
      return [instance.pingStatus];
    case 'PlatformTypes':
      return [instance.platformType];
    case 'ActivationIds':
      return instance.activationId ? [instance.activationId] : [];
    case 'IamRole':
      return [instance.iamRole];
    case 'ResourceType':
      return [instance.resourceType];
    case 'AssociationStatus':
      return instance.associationStatus ? [instance.associationStatus] : [];
    default:
      return [];
  }
}

function matches(filter: IFilter, instance: IInstanceFacts): boolean {
  if (filter.key === 'tag-key') {
    return filter.values.some(value => instance.tags.has(value));
  }
  if (filter.key.startsWith('tag:')) {
    const tag = instance.tags.get(filter.key.slice(4));
    return tag !== undefined && filter.values.includes(tag);
  }
  const facts = factValues(filter.key, instance);
  return filter.values.some(value => facts.includes(value));
}

function checkValues(filter: IFilter, knownIds: ReadonlySet<string>): void {
  const allowed = ALLOWED_VALUES[filter.key];
  const bad = allowed && filter.values.find(value => !allowed.includes(value));
  if (bad) {
    throw new AwsServiceError(
      'InvalidInstanceInformationFilterValue',
      `The filter value ${bad} is not valid for ${filter.key}. Valid values: ${allowed.join(', ')}`
    );
  }
  if (filter.key === 'InstanceIds') {
    const unknown = filter.values.filter(
      value => !INSTANCE_ID.test(value) || !knownIds.has(value)
    );
    if (unknown.length > 0) {
      throw new AwsServiceError(
        'InvalidInstanceId',
        `Instance ids ${JSON.stringify(unknown)} are not valid or not registered in this account and region`
      );
    }
  }
}

/**
 * Builds the predicate of a DescribeInstanceInformation request: `InstanceInformationFilterList` (legacy,
 * `key`/`valueSet`, no tags) or `Filters` (`Key`/`Values`, also `tag:<key>` and `tag-key`), never both. Values
 * of one filter are alternatives, filters all apply. Instance ids must be registered (InvalidInstanceId).
 */
export function instanceFilter(
  input: Record<string, unknown>,
  knownIds: ReadonlySet<string>
): (instance: IInstanceFacts) => boolean {
  const legacy = records(
    input.InstanceInformationFilterList,
    'InstanceInformationFilterList'
  );
  const current = records(input.Filters, 'Filters');
  if (legacy.length > 0 && current.length > 0) {
    throw validationError(
      'InstanceInformationFilterList and Filters cannot be used in the same request; use Filters'
    );
  }
  const filters: IFilter[] = [];
  legacy.forEach((item, index) => {
    const where = `instanceInformationFilterList.${index + 1}.member`;
    if (typeof item.key !== 'string' || !LEGACY_KEYS.includes(item.key)) {
      throw validationError(
        `Value '${String(item.key)}' at '${where}.key' failed to satisfy constraint: Member must satisfy enum value set: [${LEGACY_KEYS.join(', ')}]`
      );
    }
    filters.push({
      key: item.key,
      values: strings(item.valueSet, `${where}.valueSet`, 100)
    });
  });
  current.forEach((item, index) => {
    const where = `filters.${index + 1}.member`;
    const key = item.Key;
    if (
      typeof key !== 'string' ||
      !(LEGACY_KEYS.includes(key) || key === 'tag-key' || /^tag:.+/.test(key))
    ) {
      throw new AwsServiceError(
        'InvalidFilterKey',
        `The filter key ${String(key)} is not valid. Valid keys: ${LEGACY_KEYS.join(', ')}, tag-key, tag:<key>`
      );
    }
    filters.push({ key, values: strings(item.Values, `${where}.values`, 100) });
  });
  for (const filter of filters) {
    checkValues(filter, knownIds);
  }
  return instance => filters.every(filter => matches(filter, instance));
}

export interface IPageRequest {
  MaxResults?: unknown;
  NextToken?: unknown;
}

export interface IPageLimits {
  min: number;
  max: number;
  /** Page size when MaxResults is absent. */
  fallback: number;
}

export interface IPage<T> {
  items: T[];
  nextToken?: string;
}

/** A token is bound to the request it continues: the same filters, another page. */
function fingerprint(input: Record<string, unknown>): string {
  const rest = Object.fromEntries(
    Object.entries(input)
      .filter(([key]) => key !== 'NextToken' && key !== 'MaxResults')
      .sort(([a], [b]) => a.localeCompare(b))
  );
  return createHash('sha256')
    .update(JSON.stringify(rest))
    .digest('hex')
    .slice(0, 16);
}

/** Validates MaxResults against the operation's limits (ValidationException, as AWS words it). */
export function pageSize(value: unknown, limits: IPageLimits): number {
  if (value === undefined || value === null) {
    return limits.fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AwsServiceError(
      'SerializationException',
      'MaxResults must be an integer'
    );
  }
  if (value < limits.min) {
    throw validationError(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to ${limits.min}`
    );
  }
  if (value > limits.max) {
    throw validationError(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${limits.max}`
    );
  }
  return value;
}

/**
 * One page of `items` (already filtered, in a stable order). The token is opaque to clients and only valid for a
 * request with the same parameters (InvalidNextToken otherwise).
 */
export function paginate<T>(
  items: T[],
  input: Record<string, unknown> & IPageRequest,
  limits: IPageLimits
): IPage<T> {
  const size = pageSize(input.MaxResults, limits);
  const query = fingerprint(input);
  let offset = 0;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    const invalid = new AwsServiceError(
      'InvalidNextToken',
      'The specified token is not valid.'
    );
    if (typeof input.NextToken !== 'string') {
      throw invalid;
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(
        Buffer.from(input.NextToken, 'base64url').toString('utf8')
      );
    } catch {
      throw invalid;
    }
    const token = decoded as { o?: unknown; q?: unknown } | null;
    if (
      !token ||
      typeof token.o !== 'number' ||
      !Number.isInteger(token.o) ||
      token.o < 0 ||
      token.q !== query
    ) {
      throw invalid;
    }
    offset = token.o;
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return {
    items: page,
    nextToken:
      next < items.length
        ? Buffer.from(JSON.stringify({ o: next, q: query })).toString(
            'base64url'
          )
        : undefined
  };
}

/** A `{Key, Value}` tag list as AWS sends it, validated (TagKey 1–128, value 0–256 characters). */
export function tagList(value: unknown, where = 'tags'): [string, string][] {
  return records(value, where).map((tag, index) => {
    const key = tag.Key;
    const val = tag.Value ?? '';
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw validationError(
        `Value at '${where}.${index + 1}.member.key' failed to satisfy constraint: Member must have length between 1 and 128`
      );
    }
    if (typeof val !== 'string' || val.length > 256) {
      throw validationError(
        `Value at '${where}.${index + 1}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`
      );
    }
    return [key, val];
  });
}
