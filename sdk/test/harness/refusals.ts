import { UsageError } from '../../src/errors.js';

/** The UsageError `run` throws: one line, with a one-line hint, exit code 2. */
export function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.exitCode).toBe(2);
    expect(usage.message).not.toContain('\n');
    expect(usage.hint).toBeTruthy();
    expect(usage.hint).not.toContain('\n');
    return usage;
  }
  throw new Error('not refused');
}
