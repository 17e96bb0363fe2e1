/**
 * The JSON shape of IAM policy documents, as far as this product reads and writes them.
 * Keys keep IAM's own spelling so documents round-trip through `JSON.stringify` unchanged.
 */

/** A condition value as IAM accepts it: a string, a number, a boolean, or a list of them. */
export type ConditionValue =
  string | number | boolean | Array<string | number | boolean>;

/** `{ "<operator>": { "<context key>": <value(s)> } }` */
export type ConditionBlock = Record<string, Record<string, ConditionValue>>;

/** `"*"` or `{ "Service": …, "AWS": …, "Federated": …, "CanonicalUser": … }` */
export type PrincipalBlock = '*' | Record<string, string | string[]>;

export interface IPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
}

export interface IPolicyDocument {
  Version?: string;
  Id?: string;
  Statement: IPolicyStatement | IPolicyStatement[];
}

/** A policy with the name it is known by (inline name or managed policy ARN), for reasons and fixes. */
export interface INamedPolicy {
  name: string;
  document: IPolicyDocument;
}

/** Statements of a document as a list, whichever form the document used. */
export function statementsOf(document: IPolicyDocument): IPolicyStatement[] {
  return Array.isArray(document.Statement)
    ? document.Statement
    : [document.Statement];
}
