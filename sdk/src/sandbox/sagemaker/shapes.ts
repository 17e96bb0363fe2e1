/** Reading SageMaker requests and writing its answers: members, validation errors, ARNs and timestamps. */
import { AwsServiceError, type ICallContext } from '../aws-json-server.js';

/** Where a SageMaker resource lives: names are unique per account and region, as in AWS. */
export interface IScope {
  account: string;
  region: string;
}

export function scopeOf(call: ICallContext): IScope {
  return { account: call.account, region: call.region };
}

export function scopeKey(scope: IScope): string {
  return `${scope.account}/${scope.region}`;
}

export function sageMakerArn(scope: IScope, resource: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.account}:${resource}`;
}

/** AWS JSON 1.1 timestamps are epoch seconds. */
export function epoch(milliseconds: number): number {
  return milliseconds / 1000;
}

/** The pattern of most SageMaker names (jobs, user profiles, spaces, apps). */
export const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const DOMAIN_ID_PATTERN = /^d-(-*[a-z0-9]){1,61}$/;

/** The member name as AWS's validation messages spell it (`TrainingJobName` → `trainingJobName`). */
function memberPath(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

export function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message);
}

function constraint(value: unknown, member: string, rule: string) {
  return validation(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${memberPath(member)}' failed to satisfy constraint: ${rule}`
  );
}

export function requiredString(
  input: Record<string, unknown>,
  member: string,
  pattern?: RegExp
): string {
  const value = input[member];
  if (typeof value !== 'string' || value.length === 0) {
    throw constraint(value, member, 'Member must not be null');
  }
  if (pattern && !pattern.test(value)) {
    throw constraint(
      value,
      member,
      `Member must satisfy regular expression pattern: ${pattern.source}`
    );
  }
  return value;
}

export function optionalString(
  input: Record<string, unknown>,
  member: string,
  pattern?: RegExp
): string | undefined {
  return input[member] === undefined || input[member] === null
    ? undefined
    : requiredString(input, member, pattern);
}

export function requiredObject(
  input: Record<string, unknown>,
  member: string
): Record<string, unknown> {
  const value = input[member];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw constraint(undefined, member, 'Member must not be null');
  }
  return value as Record<string, unknown>;
}

export function oneOf<T extends string>(
  input: Record<string, unknown>,
  member: string,
  values: readonly T[],
  fallback?: T
): T {
  const value = input[member];
  if ((value === undefined || value === null) && fallback !== undefined) {
    return fallback;
  }
  if (typeof value !== 'string' || !values.includes(value as T)) {
    throw constraint(
      value,
      member,
      `Member must satisfy enum value set: [${values.join(', ')}]`
    );
  }
  return value as T;
}

/** The members of `input` that an answer echoes back, in the order given. */
export function pick(
  input: Record<string, unknown>,
  members: readonly string[]
): Record<string, unknown> {
  return Object.fromEntries(
    members
      .filter(member => input[member] !== undefined && input[member] !== null)
      .map(member => [member, input[member]])
  );
}

/** Drops undefined members so answers carry only what AWS would send. */
export function defined(
  shape: Record<string, unknown>
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(shape).filter(([, value]) => value !== undefined)
  );
}

export interface IParsedArn {
  scope: IScope;
  /** `training-job`, `app`, … */
  type: string;
  /** What follows `<type>/`. */
  path: string;
}

export function parseSageMakerArn(arn: string): IParsedArn | undefined {
  const match =
    /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(
      arn
    );
  return match
    ? {
        scope: { region: match[1], account: match[2] },
        type: match[3],
        path: match[4]
      }
    : undefined;
}
