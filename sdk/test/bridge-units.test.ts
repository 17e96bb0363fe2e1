/**
 * The bridge's pure parts: how errors become statuses and codes, the Origin and XSRF checks on requests as Node
 * parses them, target diffs, the enable-remote-access request and its operation's states, the job-release request,
 * the releases' relistings and the finished jobs kept after their targets left, Studio's metadata and shell quoting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../src/shell.js';
import { errorBody, toHttpError } from '../src/bridge/errors.js';
import {
  normalOrigin,
  originProblem,
  xsrfProblem
} from '../src/bridge/guard.js';
import { readStudioMetadata, studioOrigin } from '../src/bridge/studio.js';
import type { AwsClients } from '../src/aws/clients.js';
import { HttpError } from '../src/bridge/errors.js';
import {
  parseEnableRequest,
  refuseOwnSpace,
  SpaceOperations,
  type RemoteAccessEnabler
} from '../src/bridge/spaces.js';
import {
  FinishedJobs,
  JobReleases,
  parseReleaseRequest,
  type IJobEnd,
  type JobEndReader
} from '../src/bridge/jobs.js';
import { diffTargets } from '../src/bridge/targets.js';
import type { IBridgeTarget, ISpaceOperation } from '../src/bridge/types.js';
import type { ISpaceInfo } from '../src/spaces/types.js';
import { OperationError, UsageError } from '../src/errors.js';
import { HostKeyChangedError } from '../src/ssh/index.js';

/** A request as the guards see it: a method and headers (lower-case names, as Node gives them). */
const requestWith = (method: string, headers: Record<string, string>) =>
  ({ method, headers }) as unknown as IncomingMessage;

const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: 400 }
  });

describe('errors as HTTP answers', () => {
  it.each([
    [
      new UsageError('bad --node', 'nodes are numbered from 1'),
      400,
      'bad-request'
    ],
    [
      new UsageError('there is no training job x in us-east-1', 'check'),
      404,
      'not-found'
    ],
    [
      new UsageError('no managed instance mi-0123 in us-east-1'),
      404,
      'not-found'
    ],
    [
      new UsageError('no AWS credentials found', 'configure them'),
      401,
      'no-credentials'
    ],
    [
      new OperationError('access denied while listing: no', 'ask'),
      403,
      'access-denied'
    ],
    [
      new HostKeyChangedError(
        'the host key of x has changed',
        'sm-ssh forget x'
      ),
      409,
      'conflict'
    ],
    [new OperationError('x is not reachable after 0 s'), 502, 'failed'],
    [
      awsError('AccessDeniedException', 'User: u is not authorized'),
      403,
      'access-denied'
    ],
    [awsError('ExpiredTokenException', 'expired'), 401, 'no-credentials'],
    [awsError('ThrottlingException', 'Rate exceeded'), 502, 'failed'],
    [
      Object.assign(
        new Error('Could not load credentials from any providers'),
        { name: 'CredentialsProviderError' }
      ),
      401,
      'no-credentials'
    ],
    [new TypeError('x is undefined\n    at f (file.js:1:1)'), 500, 'failed']
  ])('%s → %i %s', (error, status, code) => {
    const answer = toHttpError(error, 'listing the targets');
    expect([answer.status, answer.code]).toEqual([status, code]);
    const body = errorBody(answer);
    expect(body.error).not.toMatch(/\n|\bat f\b/);
    expect(Object.keys(body).sort()).toEqual(
      body.hint ? ['code', 'error', 'hint'] : ['code', 'error']
    );
  });

  it('keeps the hint of SDK errors', () => {
    expect(
      errorBody(toHttpError(new UsageError('bad', 'do this instead')))
    ).toEqual({ error: 'bad', hint: 'do this instead', code: 'bad-request' });
  });
});

describe('the XSRF check', () => {
  const token = 'abc|def';
  it.each([
    ['GET', {}, undefined],
    ['HEAD', {}, undefined],
    ['POST', {}, /X-XSRFToken/],
    ['PUT', { 'x-xsrftoken': token }, /_xsrf cookie/],
    [
      'PATCH',
      { 'x-xsrftoken': token, cookie: `_xsrf=${token}x` },
      /does not match/
    ],
    [
      'DELETE',
      { 'x-xsrftoken': token, cookie: `x_xsrf=${token}` },
      /_xsrf cookie/
    ],
    [
      'POST',
      { 'x-xsrftoken': token, cookie: `a=1; _xsrf=${token}; b=2` },
      undefined
    ],
    ['post', { 'x-xsrftoken': token, cookie: `_xsrf=${token}` }, undefined]
  ])('%s with %j', (method, headers, problem) => {
    const found = xsrfProblem(requestWith(method, headers));
    if (problem === undefined) {
      expect(found).toBeUndefined();
    } else {
      expect(found).toMatch(problem);
    }
  });
});

describe('the Origin check of WebSocket upgrades', () => {
  it.each([
    [{ host: 'jupyter.example:8888' }, true],
    [
      { host: 'jupyter.example:8888', origin: 'https://jupyter.example:8888' },
      true
    ],
    [{ host: 'Jupyter.Example', origin: 'https://jupyter.example' }, true],
    [{ host: 'jupyter.example:443', origin: 'https://jupyter.example' }, true],
    [{ host: 'jupyter.example', origin: 'http://jupyter.example:8080' }, false],
    [
      { host: 'jupyter.example', origin: 'https://jupyter.example.evil.com' },
      false
    ],
    [
      {
        host: 'localhost',
        'x-forwarded-host': 'studio.example, proxy',
        origin: 'https://studio.example'
      },
      true
    ],
    [{ host: 'localhost', origin: 'null' }, false],
    [{ origin: 'https://jupyter.example' }, false]
  ])('%j allowed: %s', (headers, allowed) => {
    expect(originProblem(requestWith('GET', headers)) === undefined).toBe(
      allowed
    );
  });
});

describe('allowed origins (a front proxy that hands Jupyter another Host)', () => {
  const studio = 'https://d-abc123.studio.eu-west-1.sagemaker.aws';
  const allowed = new Set([normalOrigin(studio) ?? '']);
  it.each([
    [studio, true],
    ['HTTPS://D-ABC123.studio.eu-west-1.sagemaker.aws:443', true],
    ['https://d-other.studio.eu-west-1.sagemaker.aws', false],
    ['http://d-abc123.studio.eu-west-1.sagemaker.aws', false],
    ['https://d-abc123.studio.eu-west-1.sagemaker.aws.evil.com', false]
  ])(
    '%s from a page while Jupyter sees Host localhost:8888: %s',
    (origin, ok) => {
      const request = requestWith('GET', { host: 'localhost:8888', origin });
      expect(originProblem(request, allowed) === undefined).toBe(ok);
    }
  );

  it('normalizes origins and rejects what is not scheme://host[:port]', () => {
    expect(normalOrigin('https://Example.com:443')).toBe('https://example.com');
    expect(normalOrigin('http://example.com:8080')).toBe(
      'http://example.com:8080'
    );
    expect(normalOrigin('https://example.com/path')).toBeUndefined();
    expect(normalOrigin('example.com')).toBeUndefined();
    expect(normalOrigin('ftp://example.com')).toBeUndefined();
  });

  it("is the Studio domain's origin in Studio", () => {
    expect(studioOrigin({ domainId: 'd-ABC123', region: 'eu-west-1' })).toBe(
      studio
    );
    expect(studioOrigin({ domainId: 'd-abc123' })).toBeUndefined();
    expect(studioOrigin(undefined)).toBeUndefined();
  });
});

describe('target diffs', () => {
  const target = (
    name: string,
    fields: Partial<IBridgeTarget> = {}
  ): IBridgeTarget => ({
    target: name,
    kind: 'training',
    status: 'InProgress',
    ping: 'Online',
    nodes: 1,
    owner: 'me',
    mine: true,
    ageSeconds: 10,
    instances: ['mi-1'],
    via: 'ssm-instance',
    ...fields
  });

  it('sends added, removed, status and other changes, not ages', () => {
    const before = [target('a'), target('b'), target('c'), target('d')];
    const after = [
      target('a', { ageSeconds: 99 }),
      target('b', { status: 'Stopping', ping: 'ConnectionLost' }),
      target('d', { nodes: 2, instances: ['mi-2', 'mi-1'] }),
      target('e')
    ];
    expect(diffTargets(before, after)).toEqual([
      {
        type: 'target-status',
        target: 'b',
        status: 'Stopping',
        ping: 'ConnectionLost',
        previousStatus: 'InProgress',
        previousPing: 'Online'
      },
      { type: 'target-updated', target: after[2] },
      { type: 'target-added', target: after[3] },
      { type: 'target-removed', target: 'c' }
    ]);
    expect(diffTargets(after, after)).toEqual([]);
  });

  it('sends the full record of a job whose phase or wait changed', () => {
    const waiting = target('j', {
      job: { phase: 'waiting', waitSeconds: 600, sshNodes: 2, waitEndsAt: 100 }
    });
    const running = target('j', {
      job: { phase: 'running', waitSeconds: 600, sshNodes: 2 }
    });
    expect(diffTargets([target('j')], [waiting])).toEqual([
      { type: 'target-updated', target: waiting }
    ]);
    expect(diffTargets([waiting], [running])).toEqual([
      { type: 'target-updated', target: running }
    ]);
    expect(
      diffTargets([running], [{ ...running, job: { ...running.job! } }])
    ).toEqual([]);
  });

  it('sends the full record of a space whose remote access or app changed', () => {
    const off = target('s.d-1.space.sagemaker', {
      kind: 'space',
      status: 'InService',
      ping: 'Offline',
      instances: [],
      via: 'remote-access',
      remoteAccess: 'DISABLED',
      appType: 'JupyterLab',
      appStatus: 'InService'
    });
    const restarting = {
      ...off,
      remoteAccess: 'ENABLED' as const,
      appStatus: 'Pending'
    };
    const on = { ...restarting, ping: 'Online', appStatus: 'InService' };
    expect(diffTargets([off], [restarting])).toEqual([
      { type: 'target-updated', target: restarting }
    ]);
    expect(diffTargets([restarting], [on])).toEqual([
      {
        type: 'target-status',
        target: on.target,
        status: 'InService',
        ping: 'Online',
        previousStatus: 'InService',
        previousPing: 'Offline'
      },
      { type: 'target-updated', target: on }
    ]);
  });
});

describe('the job-release request', () => {
  const JOB = 'my-job.training.sagemaker';

  it('takes a training or processing job in any form, and an optional node', () => {
    expect(parseReleaseRequest({ target: JOB })).toEqual({ target: JOB });
    expect(parseReleaseRequest({ target: JOB, node: 2 })).toEqual({
      target: JOB,
      node: 2
    });
    expect(
      parseReleaseRequest({
        target: 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/prep'
      })
    ).toEqual({ target: 'prep.processing.sagemaker' });
    expect(parseReleaseRequest({ target: JOB, anyOwner: true })).toEqual({
      target: JOB,
      anyOwner: true
    });
    expect(parseReleaseRequest({ target: JOB, anyOwner: false })).toEqual({
      target: JOB
    });
  });

  it.each([
    [[JOB], /is not a JSON object/],
    ['my-job', /is not a JSON object/],
    [{}, /^target is missing$/],
    [{ target: '' }, /^target is missing$/],
    [
      { target: 'ep.inference.sagemaker' },
      /is not a training or processing job/
    ],
    [
      { target: 's.d-abc123.space.sagemaker' },
      /is not a training or processing job/
    ],
    [{ target: 'mi-0123456789abcdef0' }, /is not a training or processing job/],
    [{ target: 'no kind here' }, /./],
    [{ target: JOB, node: 0 }, /^node 0 is not a whole number from 1/],
    [{ target: JOB, node: 1.5 }, /^node 1.5 is not a whole number/],
    [{ target: JOB, node: '2' }, /^node "2" is not a whole number/],
    [{ target: JOB, anyOwner: 'yes' }, /^anyOwner is not true or false$/]
  ])('refuses %j with 400 and a hint', (body, message) => {
    let caught: unknown;
    try {
      parseReleaseRequest(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpError);
    const error = caught as HttpError;
    expect([error.status, error.code]).toEqual([400, 'bad-request']);
    expect(error.message).toMatch(message);
    expect(error.hint).toEqual(expect.any(String));
  });
});

describe('job releases', () => {
  const clients = {} as AwsClients;
  const JOB = 'my-job.training.sagemaker';
  const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

  it("answers the SDK's report and lists the targets again at once and a moment later", async () => {
    const asked: unknown[] = [];
    const releases = new JobReleases(
      async (_clients, target, options) => {
        asked.push([target, options]);
        return {
          target,
          nodes: [{ node: 1, instanceId: 'mi-1', result: 'released' }]
        };
      },
      [0, 50]
    );
    let relists = 0;
    const report = await releases.release(
      clients,
      { target: JOB },
      async () => {
        relists += 1;
      }
    );
    expect(report).toEqual({
      target: JOB,
      nodes: [{ node: 1, instanceId: 'mi-1', result: 'released' }]
    });
    await releases.release(
      clients,
      { target: JOB, node: 2, anyOwner: true },
      async () => {
        throw new Error('a failed listing is the poller’s to report');
      }
    );
    expect(asked).toEqual([
      [JOB, {}],
      [JOB, { node: 2, anyOwner: true }]
    ]);
    await sleep(10);
    expect(relists).toBe(1);
    await sleep(80);
    expect(relists).toBe(2);
    releases.close();
  });

  it("maps the SDK's errors as every route does, and stops relisting once closed", async () => {
    const releases = new JobReleases(
      async (_clients, target) => {
        if (target === JOB) {
          throw new UsageError(
            'there is no training job my-job in us-east-1',
            'sm-ssh list shows the targets'
          );
        }
        return { target, nodes: [] };
      },
      [20]
    );
    await expect(
      releases.release(clients, { target: JOB }, async () => undefined)
    ).rejects.toMatchObject({
      status: 404,
      code: 'not-found',
      message: 'there is no training job my-job in us-east-1',
      hint: 'sm-ssh list shows the targets'
    });
    let relists = 0;
    await releases.release(
      clients,
      { target: 'other.training.sagemaker' },
      async () => {
        relists += 1;
      }
    );
    releases.close();
    await sleep(50);
    expect(relists).toBe(0);
  });
});

describe('finished jobs', () => {
  const clients = {} as AwsClients;
  const job = (
    name: string,
    fields: Partial<IBridgeTarget> = {}
  ): IBridgeTarget => ({
    target: `${name}.training.sagemaker`,
    kind: 'training',
    status: 'InProgress',
    ping: 'Online',
    nodes: 2,
    owner: 'me',
    mine: true,
    ageSeconds: 30,
    instances: ['mi-2', 'mi-1'],
    via: 'ssm-instance',
    job: { phase: 'running', waitSeconds: 600, sshNodes: 2 },
    ...fields
  });
  const plain = job('plain', { job: undefined });

  function reading(answers: Record<string, IJobEnd[]>) {
    const asked: string[] = [];
    const readEnd: JobEndReader = async (_clients, target) => {
      asked.push(target.target);
      const answer = answers[target.target]?.shift();
      if (!answer) {
        throw new Error(`no answer for ${target.target}`);
      }
      return answer;
    };
    let now = 1_000_000;
    const finished = new FinishedJobs({
      readEnd,
      keepMs: 60_000,
      now: () => now
    });
    return {
      finished,
      asked,
      advance: (ms: number) => {
        now += ms;
      }
    };
  }

  it('keeps a job that left the listing as finished with its final status, asking SageMaker once', async () => {
    const a = job('a');
    const { finished, asked } = reading({
      [a.target]: [
        {
          ended: true,
          status: 'Failed',
          failureReason: 'AlgorithmError: exit code 3',
          endedAt: 1700
        }
      ]
    });
    const first = await finished.merge('k', clients, undefined, [a, plain]);
    expect(first).toEqual([a, plain]);
    const second = await finished.merge('k', clients, first, []);
    const kept: IBridgeTarget = {
      target: a.target,
      kind: 'training',
      status: 'Failed',
      ping: 'NotFound',
      nodes: 2,
      owner: 'me',
      mine: true,
      instances: [],
      via: 'ssm-instance',
      job: {
        phase: 'finished',
        waitSeconds: 600,
        sshNodes: 2,
        failureReason: 'AlgorithmError: exit code 3',
        endedAt: 1700
      }
    };
    // the plain job (no `job`) is not kept
    expect(second).toEqual([kept]);
    expect(await finished.merge('k', clients, second, [])).toEqual([kept]);
    expect(asked).toEqual([a.target]);
    // other AWS clients have their own
    expect(await finished.merge('other', clients, undefined, [])).toEqual([]);
  });

  it('asks again while SageMaker says the job has not ended (its instances go a moment before it does)', async () => {
    const a = job('a', {
      job: { phase: 'waiting', waitSeconds: 600, sshNodes: 1, waitEndsAt: 99 }
    });
    const { finished, asked } = reading({
      [a.target]: [
        { ended: false, status: 'InProgress' },
        { ended: true, status: 'Completed', endedAt: 1800 }
      ]
    });
    const ending = await finished.merge('k', clients, [a], []);
    expect(ending).toHaveLength(1);
    expect(ending[0]).toMatchObject({
      status: 'InProgress',
      ping: 'NotFound',
      instances: [],
      job: a.job
    });
    const ended = await finished.merge('k', clients, ending, []);
    expect(ended[0]).toMatchObject({
      status: 'Completed',
      job: { phase: 'finished', waitSeconds: 600, sshNodes: 1, endedAt: 1800 }
    });
    expect(ended[0].job?.waitEndsAt).toBeUndefined();
    await finished.merge('k', clients, ended, []);
    expect(asked).toEqual([a.target, a.target]);
  });

  it('asks again after a failed Describe, drops the job after the hour, and a listed target wins', async () => {
    const a = job('a');
    const b = job('b');
    const { finished, asked, advance } = reading({
      [a.target]: [{ ended: true, status: 'Stopped' }],
      [b.target]: [{ ended: true, status: 'Completed' }]
    });
    // the reader has no answer the first time for b: it throws
    const firstB = await finished.merge('k', clients, [a, b], [plain]);
    expect(firstB.map(t => [t.target, t.status, t.job?.phase])).toEqual([
      [a.target, 'Stopped', 'finished'],
      [b.target, 'Completed', 'finished'],
      [plain.target, 'InProgress', undefined]
    ]);
    // listed again (registered anew): the listing's record, not the kept one
    const again = await finished.merge('k', clients, firstB, [plain, b]);
    expect(again.find(t => t.target === b.target)).toBe(b);
    expect(again).toHaveLength(3);
    advance(60_001);
    expect(await finished.merge('k', clients, again, [plain, b])).toEqual([
      plain,
      b
    ]);
    expect(asked).toEqual([a.target, b.target]);
  });

  it('keeps the job not yet final when the reader fails, and asks again', async () => {
    const a = job('a');
    const { finished, asked } = reading({});
    const kept = await finished.merge('k', clients, [a], []);
    expect(kept[0]).toMatchObject({ status: 'InProgress', job: a.job });
    await finished.merge('k', clients, kept, []);
    expect(asked).toEqual([a.target, a.target]);
  });
});

describe('the enable-remote-access request', () => {
  const SPACE = 'my-space.d-abc123.space.sagemaker';

  it('takes a space target in any form and gives its canonical name', () => {
    expect(parseEnableRequest({ target: SPACE, confirmRestart: true })).toEqual(
      { target: SPACE }
    );
    expect(
      parseEnableRequest({
        target:
          'arn:aws:sagemaker:us-east-1:123456789012:space/d-abc123/my-space',
        confirmRestart: true
      })
    ).toEqual({ target: SPACE });
  });

  it.each([
    [
      { target: SPACE },
      /confirmRestart is not true: .*restarts the app .*unsaved work/
    ],
    [{ target: SPACE, confirmRestart: 'yes' }, /confirmRestart is not true/],
    [{ target: SPACE, confirmRestart: false }, /confirmRestart is not true/],
    [
      { target: 'ssh-training-demo.training.sagemaker', confirmRestart: true },
      /is not a Studio space/
    ],
    [
      { target: 'mi-0123456789abcdef0', confirmRestart: true },
      /is not a Studio space/
    ],
    [{ target: 'not a name', confirmRestart: true }, /not a name|target/],
    [{ confirmRestart: true }, /target is missing/],
    [[SPACE], /not a JSON object/],
    [null, /not a JSON object/]
  ])('%j → 400', (body, message) => {
    let caught: unknown;
    try {
      parseEnableRequest(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HttpError);
    const answer = caught as HttpError;
    expect([answer.status, answer.code]).toEqual([400, 'bad-request']);
    expect(answer.message).toMatch(message);
    expect(answer.hint).toEqual(expect.any(String));
  });
});

describe('the space the bridge runs in', () => {
  it('is refused, since its restart would stop the bridge before CreateApp', () => {
    const own = { domainId: 'd-abc123', spaceName: 'my-space' };
    expect(() =>
      refuseOwnSpace('my-space.d-abc123.space.sagemaker', own)
    ).toThrow(
      expect.objectContaining({
        status: 400,
        message: expect.stringMatching(/is the space this JupyterLab runs in/)
      })
    );
    expect(() =>
      refuseOwnSpace('other.d-abc123.space.sagemaker', own)
    ).not.toThrow();
    expect(() =>
      refuseOwnSpace('my-space.d-other.space.sagemaker', own)
    ).not.toThrow();
    expect(() =>
      refuseOwnSpace('my-space.d-abc123.space.sagemaker', undefined)
    ).not.toThrow();
  });
});

describe('space operations', () => {
  const SPACE = 'my-space.d-abc123.space.sagemaker';
  // the operation's order of events and the 409 need control over when it ends; the SDK's enableRemoteAccess
  // itself runs against the sandbox in bridge.test.ts
  const clients = {} as AwsClients;

  function controlled() {
    // one control per call of the enabler: its steps and its end
    const calls: Array<{
      step: (text: string) => void;
      finish: (error?: Error) => void;
    }> = [];
    const enable: RemoteAccessEnabler = (_clients, _target, options) =>
      new Promise<ISpaceInfo>((resolve, reject) => {
        calls.push({
          step: text => options.onStep?.(text),
          finish: error =>
            error ? reject(error) : resolve({} as unknown as ISpaceInfo)
        });
      });
    const operations = new SpaceOperations(enable);
    const seen: Array<[string, string, ISpaceOperation]> = [];
    operations.on('operation', (key: string, operation: ISpaceOperation) =>
      seen.push(['operation', key, operation])
    );
    return {
      operations,
      seen,
      step: (text: string) => calls[0].step(text),
      finish: (error?: Error) => calls[0].finish(error)
    };
  }

  const settle = () => new Promise(resolve => setImmediate(resolve));

  it('reports its steps, refuses a second start while it runs, lists again, then reports done', async () => {
    const { operations, seen, step, finish } = controlled();
    const relisted: string[] = [];
    const relist = async () => {
      relisted.push(operations.get('k', SPACE)?.state ?? 'none');
    };
    const started = operations.start(clients, 'k', SPACE, relist);
    expect(started).toMatchObject({
      target: SPACE,
      state: 'running',
      step: 'enabling remote access'
    });
    expect(() => operations.start(clients, 'k', SPACE, relist)).toThrow(
      expect.objectContaining({ status: 409, code: 'conflict' })
    );
    // another region or profile is another space
    expect(operations.start(clients, 'other', SPACE, relist).state).toBe(
      'running'
    );
    step('restarting the JupyterLab app');
    step('restarting the JupyterLab app');
    expect(operations.get('k', SPACE)?.step).toBe(
      'restarting the JupyterLab app'
    );
    finish();
    await settle();
    expect(relisted).toEqual(['running']);
    const done = operations.get('k', SPACE);
    expect(done).toMatchObject({ state: 'done' });
    expect(done?.finishedAt).toBeGreaterThanOrEqual(started.startedAt);
    expect(
      seen
        .filter(([, key]) => key === 'k')
        .map(([, , operation]) => [operation.state, operation.step])
    ).toEqual([
      ['running', 'enabling remote access'],
      ['running', 'restarting the JupyterLab app'],
      ['done', 'restarting the JupyterLab app']
    ]);
    // once ended, it may start again
    expect(operations.start(clients, 'k', SPACE, relist).state).toBe('running');
    expect(
      operations.get('k', 'other.d-abc123.space.sagemaker')
    ).toBeUndefined();
  });

  it('ends failed with the one-line error and hint, never a stack trace', async () => {
    const { operations, step, finish } = controlled();
    operations.start(clients, 'k', SPACE, async () => {
      throw new Error('listing failed too');
    });
    step('updating the space');
    finish(
      new OperationError(
        'access denied while updating space my-space: no sagemaker:UpdateSpace',
        'sm-ssh setup apply --remote-access adds it'
      )
    );
    await settle();
    expect(operations.get('k', SPACE)).toMatchObject({
      state: 'failed',
      step: 'updating the space',
      error:
        'access denied while updating space my-space: no sagemaker:UpdateSpace',
      hint: 'sm-ssh setup apply --remote-access adds it'
    });
    const other = controlled();
    other.operations.start(clients, 'k', SPACE, async () => undefined);
    other.finish(new TypeError('x is undefined\n    at f (file.js:1:1)'));
    await settle();
    const failed = other.operations.get('k', SPACE);
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toMatch(
      /^internal error while enabling remote access on my-space\..*: x is undefined$/
    );
    expect(failed?.hint).toEqual(expect.any(String));
  });

  it('stops reporting once closed', async () => {
    const { operations, seen, finish } = controlled();
    let relists = 0;
    operations.start(clients, 'k', SPACE, async () => {
      relists += 1;
    });
    operations.close();
    finish();
    await settle();
    expect(seen).toHaveLength(1);
    expect(relists).toBe(0);
  });
});

describe('Studio metadata', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'sm-ssh-studio-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads the role, domain, space and the region of the resource ARN', () => {
    const file = join(scratch, 'resource-metadata.json');
    writeFileSync(
      file,
      JSON.stringify({
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/service-role/Exec',
        DomainId: 'd-abc',
        SpaceName: 'space',
        ResourceArn:
          'arn:aws:sagemaker:eu-west-1:123456789012:app/d-abc/space/jupyterlab/default'
      })
    );
    expect(readStudioMetadata(file)).toEqual({
      executionRoleArn: 'arn:aws:iam::123456789012:role/service-role/Exec',
      domainId: 'd-abc',
      spaceName: 'space',
      resourceArn:
        'arn:aws:sagemaker:eu-west-1:123456789012:app/d-abc/space/jupyterlab/default',
      region: 'eu-west-1'
    });
  });

  it('is undefined outside Studio or for a file that is not a JSON object', () => {
    expect(readStudioMetadata(join(scratch, 'missing.json'))).toBeUndefined();
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, '[1, 2');
    expect(readStudioMetadata(broken)).toBeUndefined();
    writeFileSync(broken, '[1, 2]');
    expect(readStudioMetadata(broken)).toBeUndefined();
  });
});

describe('shell quoting', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['/opt/my app/main.js', "'/opt/my app/main.js'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['', "''"]
  ])('%s → %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
});
