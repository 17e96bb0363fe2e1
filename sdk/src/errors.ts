/**
 * Errors the SDK raises on purpose. Each carries a one-line message naming what was wrong and a hint saying
 * how to fix it; the CLI prints both and exits with `exitCode`, the bridge answers with a 4xx.
 */
export class SmSshError extends Error {
  /** How to fix it, one line. */
  readonly hint?: string;
  /** CLI exit code: 2 for bad input, 1 for a failure of the operation itself. */
  readonly exitCode: number;

  constructor(message: string, hint?: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Bad input: a malformed argument, an unknown name, missing credentials. Exit code 2. */
export class UsageError extends SmSshError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

/** Something the account or the service refused or lacks, after the input was valid. Exit code 1. */
export class OperationError extends SmSshError {
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
  }
}
