/** A sandbox container: its own /etc/ssh and hostname, SIGTERM to the main process, leftovers reported. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../shell.js';
import { SandboxContainer } from './container.js';
import { processesUsing } from './host.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sm-ssh-container-test-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function container(name: string, script: string): SandboxContainer {
  return SandboxContainer.start({
    root,
    name,
    hostname: `${name}-host`,
    command: ['/bin/sh', '-c', script],
    env: { GREETING: "it's here" }
  });
}

describe('SandboxContainer', () => {
  it('runs the main process with its own /etc/ssh, hostname and environment, and passes its exit code on', async () => {
    const box = container(
      'plain',
      'echo "$GREETING" > /etc/ssh/marker; hostname; exit 3'
    );
    const exit = await box.exited;
    expect(exit).toEqual({ code: 3, leftovers: [] });
    expect(box.output.trim()).toBe('plain-host');
    expect(readFileSync(join(box.etcSsh, 'marker'), 'utf8')).toBe(
      "it's here\n"
    );
    expect(existsSync('/etc/ssh/marker')).toBe(false);
    await box.remove();
  });

  it('forwards SIGTERM to the main process', async () => {
    const box = container(
      'term',
      'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
    );
    await box.waitForOutput(/ready/);
    const exit = await box.stop(10_000);
    expect(exit).toEqual({ code: 0, leftovers: [] });
    expect(box.output).toContain('got-term');
    await box.remove();
    expect(processesUsing(box.dir)).toEqual([]);
  });

  it('reports what the main process left running', async () => {
    // exits once the background job has become sleep (before that it is a forked sh)
    const box = container(
      'leaky',
      'sleep 60 & until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done; echo started'
    );
    const exit = await box.exited;
    expect(exit.code).toBe(0);
    expect(exit.leftovers).toEqual([expect.stringMatching(/^\d+ sleep$/)]);
    await box.remove();
    expect(processesUsing(box.dir)).toEqual([]);
  });

  it('quotes words for sh', () => {
    expect(shellQuote("a 'b' $c")).toBe("'a '\\''b'\\'' $c'");
  });
});
