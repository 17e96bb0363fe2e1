// npm sets the mode of bin files only on install; a workspace checkout runs them from dist directly.
import { chmodSync, existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const bin of Object.values(pkg.bin)) {
  const path = new URL(`../${bin}`, import.meta.url);
  if (existsSync(path)) {
    chmodSync(path, 0o755);
  }
}
