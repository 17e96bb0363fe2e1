/**
 * The model's logic: grouping order, filters, events of each type, tunnel counts, the spaces' operations (and
 * following one to its end), polling, reset.
 */
import { Signal } from '@lumino/signaling';
import {
  groupTargets,
  isFinishedJob,
  isWaitingJob,
  matchesFilter,
  remoteAccessOff,
  SmSshModel
} from '../model';
import { followSpaceOperation } from '../space-operation';
import { BridgeError } from '../request';
import type {
  BridgeEvent,
  IBridgeClient,
  IBridgeInfo,
  IBridgeTarget,
  IBridgeTunnel,
  IEventSource,
  ISpaceOperation
} from '../tokens';

function target(
  name: string,
  overrides: Partial<IBridgeTarget> = {}
): IBridgeTarget {
  const kind = (overrides.kind ??
    (name
      .split('.')
      .slice(-2)[0] as IBridgeTarget['kind'])) as IBridgeTarget['kind'];
  return {
    target: name,
    kind,
    status: 'InProgress',
    ping: 'Online',
    nodes: 1,
    owner: 'AIDAME',
    mine: true,
    instances: ['mi-0123456789abcdef0'],
    via: 'ssm-instance',
    ...overrides
  };
}

function operation(overrides: Partial<ISpaceOperation> = {}): ISpaceOperation {
  return {
    target: 's.d-1.space.sagemaker',
    state: 'running',
    step: 'enabling remote access',
    startedAt: 100,
    ...overrides
  };
}

function tunnel(
  id: string,
  overrides: Partial<IBridgeTunnel> = {}
): IBridgeTunnel {
  return {
    id,
    target: 'job.training.sagemaker',
    node: 1,
    localHost: '127.0.0.1',
    localPort: 40000,
    remoteHost: 'localhost',
    remotePort: 8888,
    state: 'up',
    bytesIn: 0,
    bytesOut: 0,
    connections: 0,
    totalConnections: 0,
    startedAt: 1,
    ...overrides
  };
}

const INFO: IBridgeInfo = {
  version: '0.1.0',
  region: 'us-east-1',
  studio: false,
  smSshCommand: ['/usr/bin/node', '/x/main.js'],
  smSshShellCommand: '/usr/bin/node /x/main.js',
  defaultUsers: { training: 'root' },
  identityFile: '/k',
  knownHostsFile: '/kh'
};

const ALL = [
  target('s.sp.space.sagemaker', { kind: 'space' }),
  target('app.u.d.studio.sagemaker', { kind: 'studio' }),
  target('nb.notebook.sagemaker'),
  target('ep.inference.sagemaker', { status: 'InService' }),
  target('tr.transform.sagemaker'),
  target('pr.processing.sagemaker'),
  target('b-job.training.sagemaker'),
  target('a-job.training.sagemaker', { nodes: 2 }),
  target('bob.training.sagemaker', { owner: 'AROAOTHER:bob', mine: false })
];

class FakeClient implements IBridgeClient {
  targetsList: IBridgeTarget[] = ALL;
  tunnelList: IBridgeTunnel[] = [];
  fail: BridgeError | null = null;
  calls = { info: 0, targets: 0, tunnels: 0, forced: 0 };
  /** When set, targets() waits for it. */
  gate: Promise<void> | null = null;

  async info(): Promise<IBridgeInfo> {
    this.calls.info += 1;
    return INFO;
  }
  async targets(options: { refresh?: boolean } = {}) {
    this.calls.targets += 1;
    if (options.refresh) {
      this.calls.forced += 1;
    }
    if (this.gate) {
      await this.gate;
    }
    if (this.fail) {
      throw this.fail;
    }
    return { targets: this.targetsList, warnings: ['w1'], listedAt: 1 };
  }
  async setupCheck(): Promise<never> {
    throw new Error('not used');
  }
  async tunnels() {
    this.calls.tunnels += 1;
    return { tunnels: this.tunnelList };
  }
  async startTunnel(): Promise<never> {
    throw new Error('not used');
  }
  async closeTunnel(): Promise<void> {
    return;
  }
  operations: ISpaceOperation[] = [];
  async enableRemoteAccess(): Promise<never> {
    throw new Error('not used');
  }
  async spaceOperation(): Promise<ISpaceOperation> {
    const next = this.operations.shift();
    if (!next) {
      throw new BridgeError(404, { error: 'none', code: 'not-found' });
    }
    return next;
  }
  async releaseJob(): Promise<never> {
    throw new Error('not used');
  }
}

class FakeEvents implements IEventSource {
  readonly message: Signal<IEventSource, BridgeEvent> = new Signal(this);
  readonly connectionChanged: Signal<IEventSource, boolean> = new Signal(this);
  isConnected = false;
  setConnected(value: boolean) {
    this.isConnected = value;
    this.connectionChanged.emit(value);
  }
}

function names(model: SmSshModel): string[] {
  return model.visibleTargets.map(t => t.target).sort();
}

describe('groupTargets', () => {
  it('orders groups training, processing, transform, inference, notebook, studio, space; names sorted', () => {
    const groups = groupTargets(ALL);
    expect(groups.map(g => g.kind)).toEqual([
      'training',
      'processing',
      'transform',
      'inference',
      'notebook',
      'studio',
      'space'
    ]);
    expect(groups.map(g => g.label)).toEqual([
      'Training jobs',
      'Processing jobs',
      'Transform jobs',
      'Endpoints',
      'Notebook instances',
      'Studio apps',
      'Studio spaces'
    ]);
    expect(groups[0].targets.map(t => t.target)).toEqual([
      'a-job.training.sagemaker',
      'b-job.training.sagemaker',
      'bob.training.sagemaker'
    ]);
  });

  it('leaves out empty groups and puts unknown kinds last', () => {
    const odd = target('x.future.sagemaker', {
      kind: 'future' as IBridgeTarget['kind']
    });
    const groups = groupTargets([odd, target('nb.notebook.sagemaker')]);
    expect(groups.map(g => g.kind)).toEqual(['notebook', 'future']);
    expect(groups[1].label).toBe('future');
  });
});

describe('matchesFilter', () => {
  it('matches every word in name, kind, its label, status or owner, ignoring case', () => {
    const t = target('My-Job.training.sagemaker', { owner: 'AROAX:alice' });
    expect(matchesFilter(t, '')).toBe(true);
    expect(matchesFilter(t, '  ')).toBe(true);
    expect(matchesFilter(t, 'my-job')).toBe(true);
    expect(matchesFilter(t, 'TRAINING alice')).toBe(true);
    expect(matchesFilter(t, 'inprogress')).toBe(true);
    expect(matchesFilter(t, 'jobs')).toBe(true);
    expect(matchesFilter(t, 'training bob')).toBe(false);
    expect(matchesFilter(t, 'processing')).toBe(false);
  });

  it('matches a job launched with SSH by its phase', () => {
    const t = target('j.training.sagemaker', {
      job: { phase: 'waiting', waitSeconds: 600, sshNodes: 1 }
    });
    expect(matchesFilter(t, 'waiting')).toBe(true);
    expect(matchesFilter(t, 'running')).toBe(false);
    expect(matchesFilter(target('k.training.sagemaker'), 'waiting')).toBe(
      false
    );
  });
});

describe('jobs launched with SSH', () => {
  const withPhase = (phase: 'starting' | 'waiting' | 'running' | 'finished') =>
    target('j.training.sagemaker', {
      job: { phase, waitSeconds: 600, sshNodes: 1 }
    });

  it('tells the waiting and the finished ones', () => {
    expect(
      (['starting', 'waiting', 'running', 'finished'] as const).map(phase => [
        isWaitingJob(withPhase(phase)),
        isFinishedJob(withPhase(phase))
      ])
    ).toEqual([
      [false, false],
      [true, false],
      [false, false],
      [false, true]
    ]);
    expect(isWaitingJob(target('k.training.sagemaker'))).toBe(false);
  });
});

describe('SmSshModel', () => {
  let client: FakeClient;
  let events: FakeEvents;
  let model: SmSshModel;

  beforeEach(() => {
    client = new FakeClient();
    events = new FakeEvents();
    model = new SmSshModel({ client, events, refreshInterval: 30 });
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('lists info, targets and tunnels, and says loading meanwhile', async () => {
    const states: boolean[] = [];
    model.changed.connect(() => states.push(model.loading));
    await model.refresh();
    expect(states[0]).toBe(true);
    expect(model.loading).toBe(false);
    expect(model.loaded).toBe(true);
    expect(model.info).toEqual(INFO);
    expect(model.targets).toHaveLength(ALL.length);
    expect(model.warnings).toEqual(['w1']);
    // info is read once
    await model.refresh();
    expect(client.calls.info).toBe(1);
    expect(client.calls.targets).toBe(2);
  });

  it("hides other users' targets unless showOtherUsers, and counts them", async () => {
    await model.refresh();
    expect(names(model)).not.toContain('bob.training.sagemaker');
    expect(model.hiddenByOwner).toBe(1);
    let changes = 0;
    model.changed.connect(() => changes++);
    model.showOtherUsers = true;
    expect(changes).toBe(1);
    expect(names(model)).toContain('bob.training.sagemaker');
    expect(model.hiddenByOwner).toBe(0);
  });

  it('filters by text and groups what is visible', async () => {
    await model.refresh();
    model.filter = 'processing';
    expect(model.groups.map(g => g.kind)).toEqual(['processing']);
    model.filter = '-job.';
    expect(model.groups).toHaveLength(1);
    expect(model.groups[0].targets.map(t => t.target)).toEqual([
      'a-job.training.sagemaker',
      'b-job.training.sagemaker'
    ]);
    model.filter = 'nothing-like-this';
    expect(model.groups).toEqual([]);
  });

  it('keeps the failure of a listing as error, and clears it on success', async () => {
    client.fail = new BridgeError(401, {
      error: 'no AWS credentials found',
      code: 'no-credentials'
    });
    await model.refresh();
    expect(model.error?.code).toBe('no-credentials');
    expect(model.loaded).toBe(false);
    client.fail = null;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.loaded).toBe(true);
  });

  it('wraps a non-bridge failure in a BridgeError', async () => {
    client.targets = () => Promise.reject(new TypeError('boom'));
    await model.refresh();
    expect(model.error).toBeInstanceOf(BridgeError);
    expect(model.error?.error).toBe('boom');
  });

  it('shares one round between concurrent refreshes, then one forced round', async () => {
    let open!: () => void;
    client.gate = new Promise(resolve => (open = resolve));
    const first = model.refresh();
    const second = model.refresh({ force: true });
    expect(second).toBe(first);
    open();
    await first;
    client.gate = null;
    // the forced follow-up round
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.refresh();
    expect(client.calls.forced).toBe(1);
  });

  it('applies a targets snapshot, target-added, -removed, -status and -updated', async () => {
    await model.refresh();
    model.applyEvent({
      type: 'targets',
      targets: [target('one.training.sagemaker')],
      warnings: []
    });
    expect(names(model)).toEqual(['one.training.sagemaker']);
    expect(model.warnings).toEqual([]);

    model.applyEvent({
      type: 'target-added',
      target: target('two.processing.sagemaker')
    });
    // added twice = replaced, not duplicated
    model.applyEvent({
      type: 'target-added',
      target: target('two.processing.sagemaker', { status: 'Stopping' })
    });
    expect(
      model.targets.filter(t => t.target === 'two.processing.sagemaker')
    ).toHaveLength(1);
    expect(model.findTarget('two.processing.sagemaker')?.status).toBe(
      'Stopping'
    );

    model.applyEvent({
      type: 'target-status',
      target: 'one.training.sagemaker',
      status: 'Stopping',
      ping: 'ConnectionLost',
      previousStatus: 'InProgress',
      previousPing: 'Online'
    });
    expect(model.findTarget('one.training.sagemaker')).toMatchObject({
      status: 'Stopping',
      ping: 'ConnectionLost'
    });

    model.applyEvent({
      type: 'target-updated',
      target: target('one.training.sagemaker', { nodes: 4, status: 'Stopping' })
    });
    expect(model.findTarget('one.training.sagemaker')?.nodes).toBe(4);

    model.applyEvent({
      type: 'target-removed',
      target: 'two.processing.sagemaker'
    });
    expect(names(model)).toEqual(['one.training.sagemaker']);
  });

  it('ignores status and update events of unknown targets, and hello, without a change', () => {
    let changes = 0;
    model.changed.connect(() => changes++);
    model.applyEvent({ type: 'hello', version: '1' });
    model.applyEvent({
      type: 'target-status',
      target: 'ghost.training.sagemaker',
      status: 'Failed',
      ping: 'Online'
    });
    model.applyEvent({
      type: 'target-updated',
      target: target('ghost.training.sagemaker')
    });
    model.applyEvent({ type: 'tunnel-closed', id: 'none' });
    model.applyEvent({ type: 'future-event' } as unknown as BridgeEvent);
    expect(changes).toBe(0);
  });

  it('keeps the newest report of each space operation, never an older one', () => {
    let changes = 0;
    model.changed.connect(() => changes++);
    model.applyEvent({ type: 'space-operation', operation: operation() });
    const restarting = operation({ step: 'restarting the JupyterLab app' });
    model.applyEvent({ type: 'space-operation', operation: restarting });
    expect(model.spaceOperation('s.d-1.space.sagemaker')).toBe(restarting);
    const done = operation({ state: 'done', finishedAt: 200 });
    model.applyEvent({ type: 'space-operation', operation: done });
    // the POST's answer (running) arriving after the end is dropped, as is an older operation's event
    model.setSpaceOperation(operation());
    model.applyEvent({
      type: 'space-operation',
      operation: operation({ startedAt: 50, state: 'failed' })
    });
    expect(model.spaceOperation('s.d-1.space.sagemaker')).toBe(done);
    expect(changes).toBe(3);
    // a new one replaces it; dismissing forgets it
    model.setSpaceOperation(operation({ startedAt: 300 }));
    expect(model.spaceOperation('s.d-1.space.sagemaker')?.state).toBe(
      'running'
    );
    model.clearSpaceOperation('s.d-1.space.sagemaker');
    expect(model.spaceOperation('s.d-1.space.sagemaker')).toBeUndefined();
  });

  it('tells spaces whose remote access is off', () => {
    const space = (fields: Partial<IBridgeTarget>) =>
      target('s.d-1.space.sagemaker', { via: 'remote-access', ...fields });
    expect(remoteAccessOff(space({ remoteAccess: 'DISABLED' }))).toBe(true);
    expect(remoteAccessOff(space({}))).toBe(true);
    expect(remoteAccessOff(space({ remoteAccess: 'ENABLED' }))).toBe(false);
    expect(remoteAccessOff(target('j.training.sagemaker'))).toBe(false);
    expect(
      matchesFilter(
        space({ appType: 'CodeEditor', kind: 'space' }),
        'codeeditor'
      )
    ).toBe(true);
  });

  it('follows an operation by its events to the end', async () => {
    const started = operation();
    model.setSpaceOperation(started);
    const seen: string[] = [];
    const ended = followSpaceOperation(model, client, started, now =>
      seen.push(now.step)
    );
    events.setConnected(true);
    model.applyEvent({
      type: 'space-operation',
      operation: operation({ step: 'updating the space' })
    });
    model.applyEvent({
      type: 'space-operation',
      operation: operation({ state: 'failed', error: 'denied', hint: 'ask' })
    });
    expect(await ended).toMatchObject({ state: 'failed', error: 'denied' });
    expect(seen).toEqual(['updating the space']);
  });

  it('follows an operation by asking the bridge while no event stream is connected', async () => {
    const started = operation();
    model.setSpaceOperation(started);
    client.operations = [
      operation({ step: 'waiting for the app' }),
      operation({ state: 'done', finishedAt: 300 })
    ];
    const ended = await followSpaceOperation(
      model,
      client,
      started,
      undefined,
      10
    );
    expect(ended.state).toBe('done');
    expect(client.operations).toEqual([]);
  });

  it('tracks tunnels from events and counts the live ones', () => {
    expect(model.liveTunnelCount).toBe(0);
    model.applyEvent({
      type: 'tunnel',
      tunnel: tunnel('a', { state: 'starting', startedAt: 2 })
    });
    model.applyEvent({ type: 'tunnel', tunnel: tunnel('b', { startedAt: 1 }) });
    model.applyEvent({
      type: 'tunnel',
      tunnel: tunnel('c', { state: 'failed', startedAt: 3 })
    });
    expect(model.tunnels.map(t => t.id)).toEqual(['b', 'a', 'c']);
    expect(model.liveTunnelCount).toBe(2);
    // counts update in place
    model.applyEvent({
      type: 'tunnel',
      tunnel: tunnel('b', { bytesIn: 42, startedAt: 1 })
    });
    expect(model.tunnels[0].bytesIn).toBe(42);
    model.applyEvent({
      type: 'tunnel',
      tunnel: tunnel('a', { state: 'up', startedAt: 2 })
    });
    expect(model.liveTunnelCount).toBe(2);
    model.applyEvent({ type: 'tunnel-closed', id: 'b' });
    expect(model.liveTunnelCount).toBe(1);
    model.removeTunnel('c');
    expect(model.tunnels.map(t => t.id)).toEqual(['a']);
    model.setTunnel(tunnel('d', { state: 'closed' }));
    expect(model.liveTunnelCount).toBe(1);
  });

  it('takes the tunnels of a listing as the whole truth', async () => {
    model.setTunnel(tunnel('stale'));
    client.tunnelList = [tunnel('fresh')];
    await model.refresh();
    expect(model.tunnels.map(t => t.id)).toEqual(['fresh']);
  });

  it('keeps an error event (with its code) until the next snapshot', async () => {
    model.applyEvent({
      type: 'error',
      error: 'denied',
      hint: 'check setup',
      code: 'access-denied'
    } as BridgeEvent);
    expect(model.error).toMatchObject({
      error: 'denied',
      hint: 'check setup',
      code: 'access-denied'
    });
    model.applyEvent({ type: 'targets', targets: [], warnings: [] });
    expect(model.error).toBeNull();
  });

  it('applies what the event source emits', () => {
    events.message.emit({ type: 'tunnel', tunnel: tunnel('x') });
    expect(model.liveTunnelCount).toBe(1);
  });

  it('polls every refreshInterval while no stream is connected, not while one is', async () => {
    jest.useFakeTimers();
    model.start();
    await Promise.resolve();
    const after = () => client.calls.targets;
    expect(after()).toBe(1);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(after()).toBe(2);
    events.setConnected(true);
    // a (re)connection lists once to catch up, then events take over
    await jest.advanceTimersByTimeAsync(0);
    expect(after()).toBe(3);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(after()).toBe(3);
    events.setConnected(false);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(after()).toBe(4);
    model.refreshInterval = 5;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(after()).toBe(5);
    model.dispose();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(after()).toBe(5);
  });

  it('reads live tunnels every 2 s while no stream is connected', async () => {
    jest.useFakeTimers();
    model.start();
    await jest.advanceTimersByTimeAsync(0);
    const reads = () => client.calls.tunnels;
    expect(reads()).toBe(1);
    // no live tunnel: nothing to follow
    await jest.advanceTimersByTimeAsync(4_000);
    expect(reads()).toBe(1);
    client.tunnelList = [tunnel('t', { bytesIn: 5 })];
    model.setTunnel(tunnel('t'));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(reads()).toBe(2);
    expect(model.tunnels[0].bytesIn).toBe(5);
    events.setConnected(true);
    await jest.advanceTimersByTimeAsync(0);
    const afterConnect = reads();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(reads()).toBe(afterConnect);
  });

  it('keeps the releases asked for here, says so on each change, forgets them on reset', async () => {
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    model.setJobRelease('j.training.sagemaker', { state: 'releasing', at: 5 });
    expect(model.jobRelease('j.training.sagemaker')).toEqual({
      state: 'releasing',
      at: 5
    });
    model.setJobRelease('j.training.sagemaker', undefined);
    model.setJobRelease('j.training.sagemaker', undefined);
    expect(model.jobRelease('j.training.sagemaker')).toBeUndefined();
    expect(changes).toBe(2);
    model.setJobRelease('j.training.sagemaker', { state: 'released', at: 5 });
    await model.reset();
    expect(model.jobRelease('j.training.sagemaker')).toBeUndefined();
  });

  it('reset forgets the listing and drops rounds started before it', async () => {
    await model.refresh();
    let open!: () => void;
    client.gate = new Promise(resolve => (open = resolve));
    const stale = model.refresh();
    client.targetsList = [target('other-region.training.sagemaker')];
    const fresh = model.reset();
    expect(model.targets).toEqual([]);
    expect(model.info).toBeNull();
    expect(model.loaded).toBe(false);
    open();
    await Promise.all([stale, fresh]);
    expect(names(model)).toEqual(['other-region.training.sagemaker']);
    expect(client.calls.info).toBe(2);
  });
});
