import { UsageError } from '../errors.js';

/**
 * A request's text field, as JSON from a file gives it: missing or empty is "the request has no <field>"; another
 * type is named (`TrainingJobName is the number 3, not a string`), so the fix is plain either way.
 */
export function requireText(
  value: unknown,
  field: string,
  fix: string,
  missing = `the request has no ${field}`
): string {
  if (value === undefined || value === null || value === '') {
    throw new UsageError(missing, fix);
  }
  if (typeof value !== 'string') {
    throw new UsageError(`${field} is ${described(value)}, not a string`, fix);
  }
  return value;
}

function described(value: unknown): string {
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `the ${typeof value} ${String(value)}`;
}
