/**
 * The bridge's pure parts: how errors become statuses and codes, the Origin and XSRF checks on requests as Node
 * parses them, target diffs, Studio's metadata and shell quoting.
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
import { diffTargets } from '../src/bridge/targets.js';
import type { IBridgeTarget } from '../src/bridge/types.js';
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
