/**
 * The views against the DOM contract the UI tests use: panel (groups, rows, buttons, node picker, filter,
 * states, tunnels, spaces with their remote access and its operation, jobs launched with SSH with their phase, the
 * time left of their wait and Release), the enable-remote-access dialog's body, setup check, status-bar item.
 */
import './support/no-web-components';
import { nullTranslator } from '@jupyterlab/translation';
import React from 'react';
import {
  PanelView,
  SmSshPanel,
  type IPanelActions
} from '../components/SmSshPanel';
import { enableDialogBody } from '../components/EnableRemoteAccessDialog';
import { SetupCheckPanel } from '../components/SetupCheckView';
import { formatTimeLeft } from '../components/TargetList';
import { TunnelCount } from '../components/StatusItem';
import { SmSshModel } from '../model';
import { BridgeError } from '../request';
import { SetupCheckModel } from '../setup-check';
import type { IBridgeClient, IBridgeTarget, IBridgeTunnel } from '../tokens';
import {
  DEMO,
  INFO,
  JOB,
  job,
  SETUP,
  SPACE_DOMAIN,
  SPACE_OFF,
  SPACE_ON,
  spaceOperation,
  target,
  tunnel
} from './support/fixtures';
import { attach, inAct, inActAsync, render, waitFor } from './support/render';

const trans = nullTranslator.load('test');

function clientWith(
  targets: IBridgeTarget[],
  tunnels: IBridgeTunnel[] = [],
  fail?: BridgeError
): IBridgeClient {
  return {
    info: async () => INFO,
    targets: async () => {
      if (fail) {
        throw fail;
      }
      return { targets, warnings: [], listedAt: 1 };
    },
    tunnels: async () => ({ tunnels }),
    setupCheck: async () => SETUP,
    startTunnel: async () => tunnel('new'),
    closeTunnel: async () => undefined,
    enableRemoteAccess: async () => spaceOperation(),
    spaceOperation: async () => spaceOperation(),
    releaseJob: async target => ({
      target,
      nodes: [
        { node: 1, instanceId: 'mi-0job0000000000001', result: 'released' }
      ]
    })
  };
}

function recordingActions() {
  const calls: [string, ...unknown[]][] = [];
  const actions: IPanelActions = {
    openTerminal: (t, node) => calls.push(['openTerminal', t.target, node]),
    forwardPort: (t, node) => calls.push(['forwardPort', t.target, node]),
    copySshCommand: (t, node) => calls.push(['copySshCommand', t.target, node]),
    closeTunnel: t => calls.push(['closeTunnel', t.id]),
    enableRemoteAccess: t => calls.push(['enableRemoteAccess', t.target]),
    dismissSpaceOperation: t => calls.push(['dismissSpaceOperation', t.target]),
    releaseJob: t => calls.push(['releaseJob', t.target]),
    proxyUrl: port => `/lab-base/proxy/${port}/`,
    refresh: () => calls.push(['refresh']),
    checkSetup: () => calls.push(['checkSetup']),
    setShowOtherUsers: value => calls.push(['setShowOtherUsers', value])
  };
  return { calls, actions };
}

async function renderPanel(client: IBridgeClient, showOtherUsers = false) {
  const model = new SmSshModel({ client, showOtherUsers });
  await model.refresh();
  const { calls, actions } = recordingActions();
  const view = render(
    <PanelView model={model} actions={actions} trans={trans} />
  );
  const rerender = () =>
    view.rerender(<PanelView model={model} actions={actions} trans={trans} />);
  model.changed.connect(rerender);
  return { model, calls, view, host: view.host };
}

function click(element: Element | null) {
  inAct(() => {
    (element as HTMLElement).click();
  });
}

describe('the panel', () => {
  it('groups the targets by kind in the fixed order, with a heading each', async () => {
    const { host, view } = await renderPanel(clientWith(DEMO));
    const sections = Array.from(
      host.querySelectorAll('section.jp-SmSsh-group')
    );
    expect(sections.map(s => s.getAttribute('data-kind'))).toEqual([
      'training',
      'processing',
      'transform',
      'inference',
      'notebook',
      'studio',
      'space'
    ]);
    expect(sections.map(s => s.querySelector('h3')?.textContent)).toEqual([
      'Training jobs',
      'Processing jobs',
      'Transform jobs',
      'Endpoints',
      'Notebook instances',
      'Studio apps',
      'Studio spaces'
    ]);
    // bob's job is hidden: eight of mine
    expect(host.querySelectorAll('li.jp-SmSsh-target')).toHaveLength(8);
    expect(
      host.querySelector(
        'li[data-target="bob-training-job.training.sagemaker"]'
      )
    ).toBeNull();
    view.unmount();
  });

  it('shows a row per target: data attributes, badge tone, owner (you), node picker only for nodes > 1', async () => {
    const { host, view } = await renderPanel(clientWith(DEMO));
    const training = host.querySelector(
      'li.jp-SmSsh-target[data-target="ssh-training-demo.training.sagemaker"]'
    )!;
    expect(training.getAttribute('data-kind')).toBe('training');
    expect(training.getAttribute('data-status')).toBe('InProgress');
    expect(training.querySelector('.jp-SmSsh-badge')?.className).toContain(
      'jp-mod-good'
    );
    expect(training.querySelector('.jp-SmSsh-owner')?.textContent).toBe(
      'AKIAIOSFODNN7EXAMPLE (you)'
    );
    const select = training.querySelector(
      'select[aria-label="Node of ssh-training-demo.training.sagemaker"]'
    ) as HTMLSelectElement;
    expect(Array.from(select.options).map(o => o.value)).toEqual(['1', '2']);
    const endpoint = host.querySelector(
      'li[data-target="ssh-endpoint-demo.inference.sagemaker"]'
    )!;
    expect(endpoint.querySelector('.jp-SmSsh-owner')?.textContent).toBe(
      'no owner tag'
    );
    const processing = host.querySelector(
      'li[data-target="ssh-processing-demo.processing.sagemaker"]'
    )!;
    expect(processing.querySelector('select')).toBeNull();
    const transform = host.querySelector(
      'li[data-target="ssh-transform-demo.transform.sagemaker"]'
    )!;
    const badges = Array.from(transform.querySelectorAll('.jp-SmSsh-badge'));
    expect(
      badges.map(b => [b.textContent, b.classList.contains('jp-mod-warn')])
    ).toEqual([
      ['Stopping', true],
      ['ConnectionLost', true]
    ]);
    view.unmount();
  });

  it('labels the row buttons and passes the chosen node', async () => {
    const { host, calls, view } = await renderPanel(clientWith(DEMO));
    const name = 'ssh-training-demo.training.sagemaker';
    const row = host.querySelector(`li[data-target="${name}"]`)!;
    const buttons = Array.from(row.querySelectorAll('button'));
    expect(buttons.map(b => b.getAttribute('aria-label'))).toEqual([
      `Open terminal on ${name}`,
      `Forward a port of ${name}`,
      `Copy ssh command for ${name}`
    ]);
    expect(buttons.every(b => b.type === 'button')).toBe(true);
    const select = row.querySelector('select') as HTMLSelectElement;
    inAct(() => {
      select.value = '2';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    click(row.querySelector(`[aria-label="Open terminal on ${name}"]`));
    click(row.querySelector(`[aria-label="Forward a port of ${name}"]`));
    click(row.querySelector(`[aria-label="Copy ssh command for ${name}"]`));
    expect(calls).toEqual([
      ['openTerminal', name, 2],
      ['forwardPort', name, 2],
      ['copySshCommand', name, 2]
    ]);
    view.unmount();
  });

  it('filters with the labelled filter box, refreshes with its button, toggles other users', async () => {
    const { host, calls, model, view } = await renderPanel(clientWith(DEMO));
    const filter = host.querySelector(
      'input[aria-label="Filter targets"]'
    ) as HTMLInputElement;
    inAct(() => {
      // React listens for the native setter + input event
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!;
      setter.call(filter, 'processing');
      filter.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(model.filter).toBe('processing');
    const rows = host.querySelectorAll('li.jp-SmSsh-target');
    expect(rows).toHaveLength(1);
    expect(rows[0].getAttribute('data-kind')).toBe('processing');
    click(host.querySelector('button[aria-label="Refresh targets"]'));
    const toggle = host.querySelector(
      '.jp-SmSsh-toggle input'
    ) as HTMLInputElement;
    click(toggle);
    expect(calls).toEqual([['refresh'], ['setShowOtherUsers', true]]);
    view.unmount();
  });

  it('says when nothing matches the filter', async () => {
    const { host, model, view } = await renderPanel(clientWith(DEMO));
    inAct(() => {
      model.filter = 'zzz';
    });
    expect(host.querySelector('.jp-SmSsh-empty')?.textContent).toContain(
      'No targets match “zzz”'
    );
    view.unmount();
  });

  it('shows other users with showOtherUsers, without (you)', async () => {
    const { host, view } = await renderPanel(clientWith(DEMO), true);
    const bob = host.querySelector(
      'li[data-target="bob-training-job.training.sagemaker"]'
    )!;
    expect(bob.querySelector('.jp-SmSsh-owner')?.textContent).toBe(
      'AROAEXAMPLEOTHER:bob'
    );
    view.unmount();
  });

  it('has an empty state naming the region and what to do, offering hidden targets', async () => {
    const { host, calls, view } = await renderPanel(
      clientWith([
        target('bob.training.sagemaker', { mine: false, owner: 'x:bob' })
      ])
    );
    const empty = host.querySelector('.jp-SmSsh-empty')!;
    expect(empty.textContent).toContain('No SSH-enabled targets in us-east-1.');
    expect(empty.textContent).toContain('SSH helper');
    expect(empty.textContent).toContain('1 target of another user is hidden.');
    click(empty.querySelector('button'));
    expect(calls).toEqual([['setShowOtherUsers', true]]);
    expect(host.querySelector('section.jp-SmSsh-group')).toBeNull();
    view.unmount();
  });

  it('has a loading state before the first listing', () => {
    const model = new SmSshModel({ client: clientWith(DEMO) });
    const { actions } = recordingActions();
    const view = render(
      <PanelView model={model} actions={actions} trans={trans} />
    );
    expect(view.host.querySelector('.jp-SmSsh-loading')?.textContent).toContain(
      'Listing'
    );
    view.unmount();
  });

  it.each([
    ['no-credentials', 401, /no AWS credentials/, /AWS_PROFILE/],
    ['access-denied', 403, /denied/, /setup check/],
    [
      'unreachable',
      500,
      /did not start: check the Jupyter server log/,
      /jupyter-server-proxy/
    ],
    ['failed', 502, /could not be listed/, /boom/]
  ] as const)(
    'has an error state for %s that says what to do',
    async (code, status, title, advice) => {
      const error = new BridgeError(status, {
        error: 'boom',
        hint: 'the hint',
        code
      });
      const { host, calls, view } = await renderPanel(
        clientWith(DEMO, [], error)
      );
      const box = host.querySelector('.jp-SmSsh-error')!;
      expect(box.getAttribute('data-code')).toBe(code);
      expect(box.querySelector('.jp-SmSsh-errorTitle')?.textContent).toMatch(
        title
      );
      expect(box.textContent).toMatch(advice);
      expect(box.textContent).toContain('the hint');
      expect(host.querySelector('.jp-SmSsh-loading')).toBeNull();
      if (code === 'access-denied') {
        click(box.querySelector('.jp-SmSsh-checkSetupButton'));
        expect(calls).toEqual([['checkSetup']]);
      }
      view.unmount();
    }
  );

  it('lists tunnels: route, state, exact byte counts, Open link, labelled close button', async () => {
    const { host, calls, view } = await renderPanel(
      clientWith(DEMO, [
        tunnel('t1'),
        tunnel('t2', {
          state: 'failed',
          localPort: 40124,
          error: 'the SSH connection closed',
          node: 2
        })
      ])
    );
    const up = host.querySelector('li.jp-SmSsh-tunnel[data-tunnel-id="t1"]')!;
    expect(up.getAttribute('data-state')).toBe('up');
    expect(up.textContent).toContain('localhost:40123');
    expect(up.textContent).toContain(
      'ssh-training-demo.training.sagemaker:8888'
    );
    expect(
      up.querySelector('.jp-SmSsh-bytesIn')?.getAttribute('data-bytes')
    ).toBe('123456');
    expect(up.querySelector('.jp-SmSsh-bytesIn')?.textContent).toContain(
      '121 KiB'
    );
    expect(
      up.querySelector('.jp-SmSsh-bytesOut')?.getAttribute('data-bytes')
    ).toBe('789');
    expect(up.querySelector('.jp-SmSsh-connections')?.textContent).toBe(
      '1 connection'
    );
    expect(up.querySelector('a.jp-SmSsh-open')?.getAttribute('href')).toBe(
      '/lab-base/proxy/40123/'
    );
    click(
      up.querySelector('button[aria-label="Close tunnel localhost:40123"]')
    );
    const failed = host.querySelector(
      'li.jp-SmSsh-tunnel[data-tunnel-id="t2"]'
    )!;
    expect(failed.getAttribute('data-state')).toBe('failed');
    expect(failed.querySelector('a')).toBeNull();
    expect(failed.textContent).toContain('the SSH connection closed');
    expect(failed.textContent).toContain('node 2');
    expect(calls).toEqual([['closeTunnel', 't1']]);
    view.unmount();
  });

  it('is a sidebar widget with the contract id, caption and class, rendering on changes', async () => {
    const model = new SmSshModel({ client: clientWith(DEMO) });
    const panel = new SmSshPanel(model, recordingActions().actions, trans);
    expect(panel.id).toBe('sm-ssh-panel');
    expect(panel.title.caption).toBe('SageMaker SSH');
    expect(panel.hasClass('jp-SmSsh-panel')).toBe(true);
    expect(panel.title.icon).toBeDefined();
    attach(panel);
    await waitFor(() => panel.node.querySelector('.jp-SmSsh-loading'));
    await inActAsync(() => model.refresh());
    await waitFor(
      () => panel.node.querySelectorAll('li.jp-SmSsh-target').length === 8
    );
    inAct(() =>
      model.applyEvent({
        type: 'target-removed',
        target: 'ssh-training-demo.training.sagemaker'
      })
    );
    await waitFor(
      () => panel.node.querySelectorAll('li.jp-SmSsh-target').length === 7
    );
    inAct(() => panel.dispose());
  });
});

describe('jobs launched with SSH in the panel', () => {
  const row = (host: HTMLElement) =>
    host.querySelector(`li.jp-SmSsh-target[data-target="${JOB}"]`)!;
  const labels = (element: Element) =>
    Array.from(element.querySelectorAll('button')).map(b => [
      b.getAttribute('aria-label'),
      b.disabled
    ]);

  afterEach(() => jest.useRealTimers());

  it('shows a waiting job with the time left and Release beside Open terminal', async () => {
    const { host, calls, view } = await renderPanel(
      clientWith([...DEMO, job('waiting')])
    );
    const waiting = row(host);
    expect(waiting.getAttribute('data-job-phase')).toBe('waiting');
    const line = waiting.querySelector('.jp-SmSsh-job')!;
    expect(line.getAttribute('data-phase')).toBe('waiting');
    const badge = line.querySelector('.jp-SmSsh-jobPhase')!;
    expect(badge.textContent).toBe('waiting for connection');
    expect(badge.className).toContain('jp-mod-warn');
    expect(badge.getAttribute('aria-label')).toBe(
      'Job: waiting for connection'
    );
    expect(badge.getAttribute('title')).toMatch(
      /^The job waits for a connection until .+, then runs its command; Release starts it now$/
    );
    expect(line.querySelector('.jp-SmSsh-jobTimeLeft')?.textContent).toBe(
      '10 min left'
    );
    expect(labels(waiting)).toEqual([
      [`Open terminal on ${JOB}`, false],
      [`Release ${JOB}`, false],
      [`Forward a port of ${JOB}`, false],
      [`Copy ssh command for ${JOB}`, false]
    ]);
    const release = waiting.querySelector(
      `button[aria-label="Release ${JOB}"]`
    ) as HTMLButtonElement;
    expect(release.textContent).toBe('Release');
    expect(release.type).toBe('button');
    expect(release.title).toBe(
      'End the wait: the job runs its own command now (sm-ssh job release)'
    );
    click(release);
    expect(calls).toEqual([['releaseJob', JOB]]);
    // jobs without SSH (the demo fleet's) show no job line and no Release
    const plain = host.querySelector(
      'li[data-target="ssh-training-demo.training.sagemaker"]'
    )!;
    expect(plain.querySelector('.jp-SmSsh-job')).toBeNull();
    expect(plain.querySelector('.jp-SmSsh-releaseJob')).toBeNull();
    expect(plain.hasAttribute('data-job-phase')).toBe(false);
    view.unmount();
  });

  it('counts the time left down every second, in seconds for the last two minutes', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const waiting = job('waiting', {}, 1_700_000_000_000);
    waiting.job!.waitEndsAt = 1_700_000_000 + 65;
    const model = new SmSshModel({ client: clientWith([waiting]) });
    await model.refresh();
    const { actions } = recordingActions();
    const view = render(
      <PanelView model={model} actions={actions} trans={trans} />
    );
    const left = () =>
      view.host.querySelector('.jp-SmSsh-jobTimeLeft')?.textContent;
    expect(left()).toBe('65 s left');
    inAct(() => {
      jest.advanceTimersByTime(2000);
    });
    expect(left()).toBe('63 s left');
    inAct(() => {
      jest.advanceTimersByTime(63_000);
    });
    expect(left()).toBe('the wait ends now');
    view.unmount();
  });

  it('says releasing, then released, with Release disabled until the phase moves on', async () => {
    const { host, model, view } = await renderPanel(
      clientWith([...DEMO, job('waiting')])
    );
    inAct(() => model.setJobRelease(JOB, { state: 'releasing', at: 1 }));
    const release = () =>
      row(host).querySelector(
        `button[aria-label="Release ${JOB}"]`
      ) as HTMLButtonElement;
    const line = () => row(host).querySelector('.jp-SmSsh-job')!;
    expect(release().disabled).toBe(true);
    expect(release().title).toBe(`Releasing ${JOB}…`);
    expect(line().getAttribute('data-release')).toBe('releasing');
    expect(line().querySelector('.jp-SmSsh-jobTimeLeft')).toBeNull();
    expect(line().textContent).toBe('waiting for connectionreleasing…');
    inAct(() => model.setJobRelease(JOB, { state: 'released', at: 1 }));
    expect(release().disabled).toBe(true);
    expect(line().getAttribute('data-release')).toBe('released');
    expect(line().querySelector('.jp-SmSsh-jobDetail')?.textContent).toBe(
      'released: its command starts…'
    );
    // the listing catches up: running, no Release any more
    inAct(() =>
      model.applyEvent({
        type: 'target-updated',
        target: job('running')
      })
    );
    expect(row(host).getAttribute('data-job-phase')).toBe('running');
    expect(line().textContent).toBe('running');
    expect(line().querySelector('.jp-SmSsh-jobPhase')?.className).toContain(
      'jp-mod-good'
    );
    expect(release()).toBeNull();
    expect(labels(row(host))).toEqual([
      [`Open terminal on ${JOB}`, false],
      [`Forward a port of ${JOB}`, false],
      [`Copy ssh command for ${JOB}`, false]
    ]);
    view.unmount();
  });

  it('shows a starting job without Release, and a wait of unknown end by its length', async () => {
    const { host, view } = await renderPanel(
      clientWith([
        job('starting'),
        job('waiting', {
          target: 'other-job.training.sagemaker',
          job: { phase: 'waiting', waitSeconds: 600, sshNodes: 2 }
        })
      ])
    );
    const starting = row(host);
    expect(starting.querySelector('.jp-SmSsh-jobPhase')?.textContent).toBe(
      'starting'
    );
    expect(
      starting.querySelector('.jp-SmSsh-jobPhase')?.getAttribute('title')
    ).toBe(
      'The job is starting: SSH comes up first, then it waits up to 60 min for a connection'
    );
    expect(starting.querySelector('.jp-SmSsh-releaseJob')).toBeNull();
    const other = host.querySelector(
      'li[data-target="other-job.training.sagemaker"]'
    )!;
    expect(other.querySelector('.jp-SmSsh-jobTimeLeft')?.textContent).toBe(
      'up to 10 min'
    );
    view.unmount();
  });

  it('shows a finished job with its status and failure, nothing to reach', async () => {
    const { host, calls, view } = await renderPanel(
      clientWith([
        job('finished', {
          status: 'Failed',
          nodes: 2,
          job: {
            phase: 'finished',
            waitSeconds: 3600,
            sshNodes: 2,
            failureReason: 'AlgorithmError: the command exited with code 3'
          }
        })
      ])
    );
    const finished = row(host);
    expect(finished.getAttribute('data-status')).toBe('Failed');
    const badge = finished.querySelector('.jp-SmSsh-jobPhase')!;
    expect(badge.textContent).toBe('finished');
    expect(badge.className).toContain('jp-mod-error');
    expect(badge.getAttribute('title')).toBe('The job has ended: Failed');
    expect(finished.querySelector('.jp-SmSsh-jobDetail')?.textContent).toBe(
      'AlgorithmError: the command exited with code 3'
    );
    // its SSM registration is gone: no agent badge, no node picker, no buttons that would fail
    expect(finished.querySelector('.jp-SmSsh-ping')).toBeNull();
    expect(finished.querySelector('select')).toBeNull();
    expect(labels(finished)).toEqual([
      [`Open terminal on ${JOB}`, true],
      [`Forward a port of ${JOB}`, true],
      [`Copy ssh command for ${JOB}`, true]
    ]);
    const terminal = finished.querySelector(
      `button[aria-label="Open terminal on ${JOB}"]`
    ) as HTMLButtonElement;
    expect(terminal.title).toBe(`${JOB} has finished: its SSH nodes are gone`);
    click(terminal);
    expect(calls).toEqual([]);
    view.unmount();
  });

  it('filters by the job phase', async () => {
    const { host, model, view } = await renderPanel(
      clientWith([...DEMO, job('waiting')])
    );
    inAct(() => {
      model.filter = 'waiting';
    });
    expect(
      Array.from(host.querySelectorAll('li.jp-SmSsh-target')).map(li =>
        li.getAttribute('data-target')
      )
    ).toEqual([JOB]);
    view.unmount();
  });

  it('formats the time left', () => {
    expect(
      [0, -5, 0.2, 59, 119, 120, 121, 3561, 3600, 5400, 5401, 7200, 9000].map(
        formatTimeLeft
      )
    ).toEqual([
      '0 s',
      '0 s',
      '1 s',
      '59 s',
      '119 s',
      '2 min',
      '3 min',
      '60 min',
      '60 min',
      '90 min',
      '1 h 31 min',
      '2 h',
      '2 h 30 min'
    ]);
  });
});

describe('Studio spaces in the panel', () => {
  it('shows each space with its remote access on or off, its app and owner profile, the domain beside', async () => {
    const { host, view } = await renderPanel(clientWith(DEMO));
    const group = host.querySelector(
      'section.jp-SmSsh-group[data-kind="space"]'
    )!;
    expect(group.querySelector('.jp-SmSsh-groupCount')?.textContent).toBe('2');
    const on = group.querySelector(`li[data-target="${SPACE_ON}"]`)!;
    const off = group.querySelector(`li[data-target="${SPACE_OFF}"]`)!;
    expect(
      [on, off].map(row => [
        row.getAttribute('data-via'),
        row.getAttribute('data-remote-access'),
        row.getAttribute('data-app-status'),
        row.querySelector('.jp-SmSsh-targetName')?.textContent,
        row.querySelector('.jp-SmSsh-remoteAccess')?.textContent,
        row.querySelector('.jp-SmSsh-app')?.textContent,
        row.querySelector('.jp-SmSsh-owner')?.textContent,
        row.querySelector('.jp-SmSsh-domain')?.textContent
      ])
    ).toEqual([
      [
        'remote-access',
        'ENABLED',
        'InService',
        'ssh-space-demo',
        'remote access on',
        'JupyterLab app: InService',
        'alice',
        SPACE_DOMAIN
      ],
      [
        'remote-access',
        'DISABLED',
        'InService',
        'ssh-space-off-demo',
        'remote access off',
        'JupyterLab app: InService',
        'alice',
        SPACE_DOMAIN
      ]
    ]);
    expect(on.querySelector('.jp-SmSsh-remoteAccess')?.className).toContain(
      'jp-mod-good'
    );
    expect(off.querySelector('.jp-SmSsh-remoteAccess')?.className).toContain(
      'jp-mod-off'
    );
    // the ping (Offline while remote access is off) is what the remote-access badge says already
    expect(off.querySelector('.jp-SmSsh-ping')).toBeNull();
    // instances keep their SSM-agent badge
    expect(
      host
        .querySelector(
          'li[data-target="ssh-transform-demo.transform.sagemaker"]'
        )
        ?.getAttribute('data-via')
    ).toBe('ssm-instance');
    view.unmount();
  });

  it('opens terminals on a space with remote access on, and offers to enable it where it is off', async () => {
    const { host, calls, view } = await renderPanel(clientWith(DEMO));
    const on = host.querySelector(`li[data-target="${SPACE_ON}"]`)!;
    expect(
      Array.from(on.querySelectorAll('button')).map(b => [
        b.getAttribute('aria-label'),
        b.disabled
      ])
    ).toEqual([
      [`Open terminal on ${SPACE_ON}`, false],
      [`Forward a port of ${SPACE_ON}`, false],
      [`Copy ssh command for ${SPACE_ON}`, false]
    ]);
    click(on.querySelector(`[aria-label="Open terminal on ${SPACE_ON}"]`));
    const off = host.querySelector(`li[data-target="${SPACE_OFF}"]`)!;
    const terminal = off.querySelector(
      `button[aria-label="Open terminal on ${SPACE_OFF}"]`
    ) as HTMLButtonElement;
    const forward = off.querySelector(
      `button[aria-label="Forward a port of ${SPACE_OFF}"]`
    ) as HTMLButtonElement;
    expect([terminal.disabled, forward.disabled]).toEqual([true, true]);
    for (const button of [terminal, forward]) {
      expect(button.title).toBe(
        `Remote access is off on ${SPACE_OFF}: enable it first`
      );
      expect((button.parentElement as HTMLElement).getAttribute('title')).toBe(
        button.title
      );
    }
    click(terminal);
    const enable = off.querySelector(
      `button[aria-label="Enable remote access on ${SPACE_OFF}"]`
    ) as HTMLButtonElement;
    expect(enable.textContent).toBe('Enable remote access…');
    expect(on.querySelector('.jp-SmSsh-enableRemoteAccess')).toBeNull();
    click(enable);
    expect(calls).toEqual([
      ['openTerminal', SPACE_ON, 1],
      ['enableRemoteAccess', SPACE_OFF]
    ]);
    view.unmount();
  });

  it('shows the step of a running operation, then its failure with the hint until dismissed', async () => {
    const { host, calls, model, view } = await renderPanel(clientWith(DEMO));
    const row = () => host.querySelector(`li[data-target="${SPACE_OFF}"]`)!;
    inAct(() =>
      model.applyEvent({
        type: 'space-operation',
        operation: spaceOperation({ step: 'restarting the JupyterLab app' })
      })
    );
    expect(row().getAttribute('data-operation')).toBe('running');
    const line = row().querySelector('.jp-SmSsh-spaceOperation')!;
    expect(line.getAttribute('data-state')).toBe('running');
    expect(line.getAttribute('role')).toBe('status');
    expect(line.textContent).toBe(
      'Enabling remote access: restarting the JupyterLab app…'
    );
    const enable = row().querySelector(
      `button[aria-label="Enable remote access on ${SPACE_OFF}"]`
    ) as HTMLButtonElement;
    expect(enable.disabled).toBe(true);
    expect(
      (
        row().querySelector(
          `button[aria-label="Open terminal on ${SPACE_OFF}"]`
        ) as HTMLButtonElement
      ).title
    ).toBe(`Remote access is being enabled on ${SPACE_OFF}`);
    inAct(() =>
      model.applyEvent({
        type: 'space-operation',
        operation: spaceOperation({
          state: 'failed',
          finishedAt: 2000,
          error: 'access denied while updating space ssh-space-off-demo',
          hint: 'add sagemaker:UpdateSpace to your role'
        })
      })
    );
    const failed = row().querySelector('.jp-SmSsh-spaceOperation')!;
    expect(failed.getAttribute('data-state')).toBe('failed');
    expect(failed.getAttribute('role')).toBe('alert');
    expect(failed.textContent).toContain(
      'Could not enable remote access: access denied while updating space ssh-space-off-demo'
    );
    expect(failed.textContent).toContain('add sagemaker:UpdateSpace');
    expect(
      (
        row().querySelector(
          `button[aria-label="Enable remote access on ${SPACE_OFF}"]`
        ) as HTMLButtonElement
      ).disabled
    ).toBe(false);
    click(failed.querySelector('button[aria-label="Dismiss"]'));
    expect(calls).toEqual([['dismissSpaceOperation', SPACE_OFF]]);
    // done: the target's own record says remote access is on
    inAct(() => {
      model.applyEvent({
        type: 'space-operation',
        operation: spaceOperation({ startedAt: 3000, state: 'done' })
      });
      model.applyEvent({
        type: 'target-updated',
        target: { ...model.findTarget(SPACE_OFF)!, remoteAccess: 'ENABLED' }
      });
    });
    expect(row().querySelector('.jp-SmSsh-spaceOperation')).toBeNull();
    expect(row().getAttribute('data-remote-access')).toBe('ENABLED');
    expect(row().querySelector('.jp-SmSsh-enableRemoteAccess')).toBeNull();
    view.unmount();
  });

  it('warns in the dialog that the app restarts and unsaved work is lost', () => {
    const body = enableDialogBody(
      { target: SPACE_OFF, appType: 'JupyterLab' },
      trans
    );
    expect(body.hasClass('jp-SmSsh-enableDialog')).toBe(true);
    expect(body.node.dataset.target).toBe(SPACE_OFF);
    const warning = body.node.querySelector('.jp-SmSsh-enableWarning')!;
    expect(warning.getAttribute('role')).toBe('alert');
    expect(warning.textContent).toBe(
      'The space’s JupyterLab app restarts to apply it: unsaved work in it is lost, and its kernels and terminals stop.'
    );
    expect(body.node.textContent).toContain(SPACE_OFF);
    expect(body.node.textContent).toContain('Save your notebooks');
  });
});

describe('the setup check view', () => {
  it('shows the facts, each item with its status, the fix JSON and copy buttons, the summary', async () => {
    const model = new SetupCheckModel({ setupCheck: async () => SETUP });
    const copies: [string, string][] = [];
    const actions = {
      copy: (text: string, what: string) => copies.push([text, what])
    };
    const view = render(
      <SetupCheckPanel model={model} actions={actions} trans={trans} />
    );
    const rerender = () =>
      view.rerender(
        <SetupCheckPanel model={model} actions={actions} trans={trans} />
      );
    model.changed.connect(rerender);
    let running!: Promise<void>;
    inAct(() => {
      running = model.run();
    });
    expect(view.host.querySelector('.jp-SmSsh-loading')).not.toBeNull();
    await inActAsync(() => running);
    const host = view.host;
    expect(host.querySelector('.jp-SmSsh-loading')).toBeNull();
    expect(host.querySelector('.jp-SmSsh-facts')?.textContent).toContain(
      '123456789012'
    );
    expect(host.querySelector('.jp-SmSsh-facts')?.textContent).toContain(
      'evaluated locally'
    );
    expect(host.querySelector('.jp-SmSsh-checkSummary')?.textContent).toBe(
      '1 missing, 1 OK, 1 warning'
    );
    const items = Array.from(host.querySelectorAll('li.jp-SmSsh-checkItem'));
    expect(
      items.map(i => [i.getAttribute('data-id'), i.getAttribute('data-status')])
    ).toEqual([
      ['client.start-session', 'MISSING'],
      ['ssm.tier', 'WARNING'],
      ['server.describe', 'OK']
    ]);
    const missing = items[0];
    const fix = JSON.parse(
      missing.querySelector('pre.jp-SmSsh-fix')!.textContent!
    );
    expect(fix.Effect).toBe('Allow');
    expect(fix.Action).toEqual(['ssm:StartSession']);
    expect(missing.textContent).toContain('SSHSageMakerClientPolicy');
    expect(missing.textContent).toContain('implicitly denied');
    click(
      missing.querySelector(
        'button[aria-label="Copy fix for Start sessions to own instances"]'
      )
    );
    click(
      items[1].querySelector(
        'button[aria-label="Copy command for Advanced-tier activations"]'
      )
    );
    click(host.querySelector('button[aria-label="Copy the apply command"]'));
    expect(copies.map(c => c[0])).toEqual([
      JSON.stringify(SETUP.report.items[0].fix!.statement, null, 2),
      'sm-ssh setup tier --advanced --region us-east-1',
      SETUP.applyCommand
    ]);
    // the OK item has no fix
    expect(items[2].querySelector('pre')).toBeNull();
    view.unmount();
  });

  it('re-runs, and shows a failure as an error state', async () => {
    let fail = true;
    const model = new SetupCheckModel({
      setupCheck: async () => {
        if (fail) {
          throw new BridgeError(403, {
            error: 'denied',
            code: 'access-denied'
          });
        }
        return SETUP;
      }
    });
    const actions = { copy: () => undefined };
    const view = render(
      <SetupCheckPanel model={model} actions={actions} trans={trans} />
    );
    model.changed.connect(() =>
      view.rerender(
        <SetupCheckPanel model={model} actions={actions} trans={trans} />
      )
    );
    await inActAsync(() => model.run());
    expect(
      view.host.querySelector('.jp-SmSsh-error')?.getAttribute('data-code')
    ).toBe('access-denied');
    fail = false;
    click(view.host.querySelector('.jp-SmSsh-rerun'));
    await waitFor(() => view.host.querySelector('.jp-SmSsh-checkSummary'));
    expect(view.host.querySelector('.jp-SmSsh-error')).toBeNull();
    view.unmount();
  });
});

describe('the status-bar item', () => {
  it.each([
    [0, '0 SSH tunnels'],
    [1, '1 SSH tunnel'],
    [3, '3 SSH tunnels']
  ])('%p live tunnels: %p', (count, text) => {
    let clicks = 0;
    const view = render(
      <TunnelCount count={count} onClick={() => clicks++} trans={trans} />
    );
    const item = view.host.querySelector('.jp-SmSsh-statusItem')!;
    expect(item.getAttribute('data-count')).toBe(String(count));
    expect(item.textContent).toBe(text);
    click(item);
    expect(clicks).toBe(1);
    view.unmount();
  });
});
