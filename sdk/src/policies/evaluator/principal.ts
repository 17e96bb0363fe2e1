/**
 * The Principal / NotPrincipal element of resource-based (trust) policies, as "AWS JSON policy elements:
 * Principal" describes it: `"*"` is everyone; `{"AWS": "123456789012"}` (or `…:root`) is the account, which
 * delegates to every principal in it; `{"AWS": "<role ARN>"}` also covers that role's sessions; service
 * principals are compared case-insensitively (the block is a `PrincipalBlock` from `../types.js`). Wildcards other than a lone `*` are not allowed in Principal.
 */
import { parseArn } from '../arn.js';
import type { IRequestPrincipal } from './model.js';

const ACCOUNT_ID = /^\d{12}$/;

function accountOf(id: string): string | undefined {
  if (ACCOUNT_ID.test(id)) {
    return id;
  }
  return parseArn(id)?.account || undefined;
}

function isAccountPrincipal(value: string): boolean {
  if (ACCOUNT_ID.test(value)) {
    return true;
  }
  const arn = parseArn(value);
  return arn !== undefined && arn.service === 'iam' && arn.resource === 'root';
}

/** `arn:aws:sts::123456789012:assumed-role/Name/session` is a session of `arn:aws:iam::123456789012:role/path/Name`. */
function isSessionOfRole(roleArn: string, principalId: string): boolean {
  const role = parseArn(roleArn);
  const session = parseArn(principalId);
  if (
    role === undefined ||
    session === undefined ||
    role.service !== 'iam' ||
    session.service !== 'sts'
  ) {
    return false;
  }
  const roleName = role.resource.startsWith('role/')
    ? role.resource.split('/').pop()
    : undefined;
  const [kind, sessionRole] = session.resource.split('/');
  return (
    roleName !== undefined &&
    kind === 'assumed-role' &&
    sessionRole === roleName &&
    role.partition === session.partition &&
    role.account === session.account
  );
}

function matchesOne(
  type: IRequestPrincipal['type'],
  value: string,
  principal: IRequestPrincipal
): boolean {
  if (value === '*') {
    return true;
  }
  switch (type) {
    case 'AWS':
      if (isAccountPrincipal(value)) {
        return accountOf(value) === accountOf(principal.id);
      }
      return value === principal.id || isSessionOfRole(value, principal.id);
    case 'Service':
      return value.toLowerCase() === principal.id.toLowerCase();
    default:
      return value === principal.id;
  }
}

/** Whether a Principal block names the request's principal. */
export function principalMatches(
  block: unknown,
  principal: IRequestPrincipal | undefined
): boolean {
  if (block === '*') {
    return true;
  }
  if (
    principal === undefined ||
    typeof block !== 'object' ||
    block === null ||
    Array.isArray(block)
  ) {
    return false;
  }
  const entry = (block as Record<string, unknown>)[principal.type];
  const values = Array.isArray(entry) ? entry : [entry];
  return values.some(
    value =>
      typeof value === 'string' && matchesOne(principal.type, value, principal)
  );
}

/** A principal for reasons: `AWS arn:aws:iam::123456789012:role/x`. */
export function describePrincipal(
  principal: IRequestPrincipal | undefined
): string {
  return principal === undefined
    ? 'no principal'
    : `${principal.type} ${principal.id}`;
}
