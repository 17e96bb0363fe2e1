/** ssh2 is loaded on first use, so commands that never open SSH (setup, list) do not pay for it. */
import { createRequire } from 'node:module';

type Ssh2 = typeof import('ssh2');

const load = createRequire(import.meta.url);
let cached: Ssh2 | undefined;

export function ssh2(): Ssh2 {
  cached ??= load('ssh2') as Ssh2;
  return cached;
}
