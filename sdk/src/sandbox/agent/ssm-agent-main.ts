#!/usr/bin/env node
/** The executable of the sandbox's stand-in for `amazon-ssm-agent` (see ssm-agent.ts); the build marks it 0755. */
import { createInterface } from 'node:readline';
import { runAgent } from './ssm-agent.js';

const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => stop.abort());
}

function firstLine(): Promise<string> {
  return new Promise(resolve => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', line => {
      lines.close();
      resolve(line);
    });
    lines.once('close', () => resolve(''));
  });
}

process.exitCode = await runAgent(
  process.argv.slice(2),
  {
    env: process.env,
    log: line => process.stdout.write(`${line}\n`),
    readAnswer: firstLine
  },
  stop.signal
);
