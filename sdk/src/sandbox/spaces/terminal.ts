/**
 * Resizing the pseudo-terminal of a `script` session from outside (best effort): the terminal is the one a
 * process of the session has as stdin; `stty -F` sets its size, and the kernel signals SIGWINCH to its foreground.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';

function terminalOf(pids: number[]): string | undefined {
  for (const pid of pids) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/0`);
      if (/^\/dev\/pts\/\d+$/.test(target)) {
        return target;
      }
    } catch {
      // the process ended, or has no stdin
    }
  }
  return undefined;
}

export function resizeTerminal(
  pids: number[],
  rows: number,
  cols: number
): void {
  const terminal = terminalOf(pids);
  if (terminal && rows > 0 && cols > 0) {
    execFile(
      '/usr/bin/stty',
      ['-F', terminal, 'rows', String(rows), 'cols', String(cols)],
      () => undefined
    );
  }
}
