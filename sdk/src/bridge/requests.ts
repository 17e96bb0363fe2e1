/** Checking the JSON bodies of the bridge's POST requests: each bad field is a 400 with a hint. */
import { formatTarget, parseTarget } from '../names/index.js';
import { badRequest, toHttpError } from './errors.js';

/** The body's fields, unchecked; 400 when it is not a JSON object. `what` names it: "the tunnel request". */
export function requestFields<TRequest>(
  body: unknown,
  what: string,
  hint: string
): Partial<Record<keyof TRequest, unknown>> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`${what} is not a JSON object`, hint);
  }
  return body as Partial<Record<keyof TRequest, unknown>>;
}

/** The body's `target` in canonical form, and its kind (`instance` for an instance target); 400 when missing or bad. */
export function requestTarget(
  value: unknown,
  hint: string
): { target: string; kind: string } {
  if (typeof value !== 'string' || value === '') {
    throw badRequest('target is missing', hint);
  }
  try {
    const parsed = parseTarget(value);
    return {
      target: formatTarget(parsed),
      kind: parsed.form === 'instance' ? 'instance' : parsed.kind
    };
  } catch (error) {
    throw toHttpError(error);
  }
}

/** A whole number from `low` to `high`; 400 otherwise. */
export function integerIn(
  value: unknown,
  field: string,
  low: number,
  high: number,
  hint: string
): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < low ||
    value > high
  ) {
    throw badRequest(
      `${field} ${JSON.stringify(value)?.slice(0, 40)} is not a whole number from ${low} to ${high}`,
      hint
    );
  }
  return value;
}
