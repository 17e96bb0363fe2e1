/** How a node's answer to the release becomes its result, and the command each node runs (under a real `sh`). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { JOB_SCRIPT, JOB_STATE_DIR } from './bundle.js';
import { RELEASE_COMMANDS, releaseResultOf } from './release.js';

describe('releaseResultOf', () => {
  it("takes the wrapper's last word", () => {
    expect(releaseResultOf('Success', 'released\n', '')).toEqual({
      result: 'released'
    });
    expect(releaseResultOf('Success', 'already-released\n', '')).toEqual({
      result: 'already-released'
    });
    expect(
      releaseResultOf('Success', 'something first\nnot-waiting\n', '')
    ).toEqual({ result: 'not-waiting', detail: 'something first' });
  });

  it('is failed, with what the node said, for anything else', () => {
    expect(releaseResultOf('Success', 'hello\n', '')).toEqual({
      result: 'failed',
      detail:
        'the node answered "hello", not one of released, already-released, not-waiting'
    });
    expect(
      releaseResultOf(
        'Failed',
        '',
        'sm-ssh-job: error: cannot create /tmp/sm-ssh-job/release; hint: run it as root\n'
      )
    ).toEqual({
      result: 'failed',
      detail:
        'the command ended Failed: sm-ssh-job: error: cannot create /tmp/sm-ssh-job/release; hint: run it as root'
    });
    expect(releaseResultOf('Undeliverable', '', '')).toEqual({
      result: 'failed',
      detail: 'the command ended Undeliverable'
    });
  });
});

describe('RELEASE_COMMANDS', () => {
  it('answers not-waiting where no wrapper ever ran', () => {
    // this machine runs no job: the wrapper's copy is absent here
    expect(existsSync(`${JOB_STATE_DIR}/${JOB_SCRIPT}`)).toBe(false);
    const out = execFileSync('sh', ['-c', RELEASE_COMMANDS.join('\n')], {
      encoding: 'utf8'
    });
    expect(out).toBe('not-waiting\n');
  });
});
