// npm sets the mode of bin files only on install; a workspace checkout runs them from dist directly.
import { chmodSync, existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The sandbox's stand-in for amazon-ssm-agent is run as an executable by containers, but is no bin of the package.
const executables = [...Object.values(pkg.bin), 'dist/sandbox/agent/ssm-agent-main.js'];
for (const bin of executables) {
  const path = new URL(`../${bin}`, import.meta.url);
  if (existsSync(path)) {
    chmodSync(path, 0o755);
  }
}
