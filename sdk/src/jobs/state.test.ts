/**
 * A job's wait state from the wrapper's marker lines, and the one query per log group that finds them, run through
 * the sandbox's Logs Insights parser and evaluator (what `sm-ssh list` meets there).
 */
import { evaluate, type ILogEvent } from '../sandbox/logs/query-eval.js';
import { parseQuery } from '../sandbox/logs/query-parser.js';
import {
  jobSshSettings,
  markerQuery,
  parseMarker,
  phaseFromMarkers,
  type IMarkerLine
} from './state.js';

const T0 = Date.UTC(2026, 10, 25, 9, 15, 19, 539);

function line(stream: string, seconds: number, message: string): IMarkerLine {
  return { stream, timestamp: T0 + seconds * 1000, message };
}

const WAITING =
  'sm-ssh-job: waiting up to 600 s for a connection (end it with: sm-ssh job release job-a.training.sagemaker, or pkill sm-wait)';

describe('parseMarker', () => {
  it('reads the words of the wrapper', () => {
    expect(parseMarker(WAITING)).toEqual({
      marker: 'waiting',
      waitSeconds: 600
    });
    expect(parseMarker('sm-ssh-job: released after 12 s').marker).toBe(
      'released'
    );
    expect(
      parseMarker('sm-ssh-job: no release within 600 s; going on').marker
    ).toBe('released');
    expect(
      parseMarker(
        'sm-ssh-job: sm-ssh-init.sh ended with exit code 1, so no one can connect: not waiting any longer'
      ).marker
    ).toBe('released');
    expect(parseMarker('sm-ssh-job: running python train.py').marker).toBe(
      'running'
    );
    expect(
      parseMarker('sm-ssh-job: python train.py exited with 0').marker
    ).toBe('exited');
    expect(
      parseMarker('sm-ssh-job: running train exited with 3\n').marker
    ).toBe('exited');
    expect(parseMarker('sm-ssh-job: node 3 of 3 has no SSH').marker).toBe(
      'other'
    );
    expect(parseMarker('epoch 1 loss 0.3').marker).toBe('other');
  });
});

describe('phaseFromMarkers', () => {
  it('is starting before the wrapper says anything', () => {
    expect(phaseFromMarkers([], 600, 2)).toEqual({ phase: 'starting' });
  });

  it('is waiting while any SSH node waits, until the last wait would end', () => {
    const lines = [
      line('job-a/algo-1-1764062100', 0, WAITING),
      line('job-a/algo-2-1764062100', 5, WAITING)
    ];
    expect(phaseFromMarkers(lines, 600, 2)).toEqual({
      phase: 'waiting',
      waitEndsAt: Math.floor(T0 / 1000) + 5 + 600
    });
    // node 1 released, node 2 not yet
    expect(
      phaseFromMarkers(
        [
          ...lines,
          line('job-a/algo-1-1764062100', 9, 'sm-ssh-job: released after 9 s')
        ],
        600,
        2
      )
    ).toEqual({ phase: 'waiting', waitEndsAt: Math.floor(T0 / 1000) + 605 });
  });

  it('is running once every SSH node moved on, whatever later nodes say', () => {
    const lines = [
      line('job-a/algo-1-1764062100', 0, WAITING),
      line('job-a/algo-1-1764062100', 30, 'sm-ssh-job: released after 30 s'),
      line('job-a/algo-1-1764062100', 30, 'sm-ssh-job: running sh -c work'),
      // a third node neither registers nor waits; its lines do not make the job running
      line('job-a/algo-3-1764062100', 1, 'sm-ssh-job: running sh -c work')
    ];
    expect(phaseFromMarkers(lines, 600, 2)).toEqual({ phase: 'running' });
    expect(phaseFromMarkers(lines.slice(3), 600, 2)).toEqual({
      phase: 'starting'
    });
  });

  it('orders lines of the same millisecond as the wrapper writes them', () => {
    const lines = [
      line('job-a/algo-1-1764062100', 0, 'sm-ssh-job: released after 0 s'),
      line('job-a/algo-1-1764062100', 0, WAITING)
    ];
    expect(phaseFromMarkers(lines, 600, 1).phase).toBe('running');
  });

  it('uses the wait the line announces, else the job environment', () => {
    const lines = [
      line(
        'job-a/algo-1-1764062100',
        0,
        'sm-ssh-job: waiting up to 42 s for a connection'
      )
    ];
    expect(phaseFromMarkers(lines, 600, 1).waitEndsAt).toBe(
      Math.floor(T0 / 1000) + 42
    );
  });
});

describe('jobSshSettings', () => {
  it('reads SM_SSH_WAIT_SECONDS and SM_SSH_NODES, nothing for a job without SSH', () => {
    expect(
      jobSshSettings({
        phase: 'running',
        environment: { SM_SSH_WAIT_SECONDS: '600', SM_SSH_NODES: '2' }
      })
    ).toEqual({ waitSeconds: 600, sshNodes: 2 });
    expect(
      jobSshSettings({
        phase: 'running',
        environment: { SM_SSH_WAIT_SECONDS: '0' }
      })
    ).toEqual({ waitSeconds: 0, sshNodes: 1 });
    expect(
      jobSshSettings({ phase: 'running', environment: { OTHER: '1' } })
    ).toBeUndefined();
    expect(jobSshSettings({ phase: 'running' })).toBeUndefined();
  });
});

describe('markerQuery', () => {
  function event(stream: string, seconds: number, message: string): ILogEvent {
    return {
      logGroupName: '/aws/sagemaker/TrainingJobs',
      logStreamName: stream,
      timestamp: T0 + seconds * 1000,
      ingestionTime: T0 + seconds * 1000,
      message,
      eventId: `${stream}-${seconds}`
    };
  }

  it("keeps only these jobs' marker lines, newest first, in the sandbox's Insights", () => {
    const events = [
      event('job-a/algo-1-1764062100', 0, WAITING),
      event('job-a/algo-1-1764062100', 1, 'epoch 1'),
      event('job-ab/algo-1-1764062100', 2, WAITING),
      event('job-b/algo-2-1764062100', 3, 'sm-ssh-job: running train'),
      event('other/algo-1-1764062100', 4, WAITING)
    ];
    const result = evaluate(
      parseQuery(markerQuery(['job-a', 'job-b'])),
      events,
      {
        account: '123456789012',
        limit: 10_000
      }
    );
    const rows = result.rows.map(row =>
      Object.fromEntries(row.map(cell => [cell.field, cell.value]))
    );
    expect(rows.map(row => row['@logStream'])).toEqual([
      'job-b/algo-2-1764062100',
      'job-a/algo-1-1764062100'
    ]);
    expect(rows[1]['@message']).toBe(WAITING);
    // the timestamp as Insights prints it, which the state reads back
    expect(Date.parse(`${rows[1]['@timestamp'].replace(' ', 'T')}Z`)).toBe(T0);
  });
});
