/**
 * The plugins wired into a stand-in JupyterLab (a real CommandRegistry, ServerConnection settings whose fetch and
 * WebSocket answer like the bridge): activation, panel, palette, settings applied live, the event stream, the
 * commands (connect → terminal, also on a space, forward-port, close-tunnel, copy ssh command, check-setup,
 * enable-remote-access with its confirmation and its progress from the events, release-job with what each node
 * said), the status-bar and launcher items; and schema/plugin.json against JupyterLab's validator.
 */
import './support/no-web-components';
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import {
  DefaultSchemaValidator,
  ISettingRegistry
} from '@jupyterlab/settingregistry';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import plugins from '../index';
import { CommandIDs, ISmSshExtension, PLUGIN_ID } from '../tokens';
import schemaFile from '../../schema/plugin.json';
import {
  DEMO,
  INFO,
  JOB,
  job,
  SPACE_OFF,
  SPACE_ON,
  spaceOperation,
  tunnel
} from './support/fixtures';
import { FakeSocket } from './support/fake-socket';
import { createdTerminals } from './support/stubs';

jest.mock(
  '@jupyterlab/terminal',
  () => jest.requireActual('./support/stubs').terminal
);

const [plugin, launcherPlugin, statusBarPlugin] = plugins;

/** Polls until `find` gives a value (widgets render on animation frames, calls resolve later). */
async function waitFor<T>(
  find: () => T | null | undefined | false,
  timeoutMs = 3000
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = find();
    if (value) {
      return value;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error('waitFor: timed out');
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

interface IRecorded {
  method: string;
  url: URL;
  body: string;
}

/** How the fake bridge answers a release, per target (default: node 1 released). */
const RELEASES: Record<string, { status: number; body: unknown }> = {
  'two-nodes.training.sagemaker': {
    status: 200,
    body: {
      target: 'two-nodes.training.sagemaker',
      nodes: [
        { node: 1, instanceId: 'mi-1', result: 'released' },
        {
          node: 2,
          instanceId: 'mi-2',
          result: 'failed',
          detail: 'Run Command timed out'
        }
      ]
    }
  },
  'gone.training.sagemaker': {
    status: 404,
    body: {
      error: 'there is no training job gone in us-east-1',
      hint: 'sm-ssh list shows the targets',
      code: 'not-found'
    }
  }
};

function fakeBridge(targets = DEMO) {
  const requests: IRecorded[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input as RequestInfo, init);
    const url = new URL(request.url);
    const body = await request.text();
    requests.push({ method: request.method, url, body });
    const json = (status: number, value: unknown) =>
      new Response(JSON.stringify(value), {
        status,
        headers: { 'content-type': 'application/json' }
      });
    const path = url.pathname.replace('/lab-base/sm-ssh/api/', '');
    if (request.method === 'GET' && path === 'info') {
      return json(200, INFO);
    }
    if (request.method === 'GET' && path === 'targets') {
      return json(200, { targets, warnings: [], listedAt: 1 });
    }
    if (request.method === 'GET' && path === 'tunnels') {
      return json(200, { tunnels: [] });
    }
    if (request.method === 'POST' && path === 'tunnels') {
      const asked = JSON.parse(body);
      return json(201, tunnel('new-1', { ...asked, localPort: 41000 }));
    }
    if (request.method === 'DELETE' && path.startsWith('tunnels/')) {
      return new Response(null, { status: 204 });
    }
    if (request.method === 'POST' && path === 'spaces/remote-access') {
      const asked = JSON.parse(body);
      if (asked.confirmRestart !== true) {
        return json(400, {
          error: 'confirmRestart is not true',
          code: 'bad-request'
        });
      }
      return json(202, spaceOperation({ target: asked.target }));
    }
    if (request.method === 'GET' && path.startsWith('spaces/remote-access/')) {
      return json(200, spaceOperation());
    }
    if (request.method === 'POST' && path === 'jobs/release') {
      const asked = JSON.parse(body);
      const answer = RELEASES[asked.target];
      return answer
        ? json(answer.status, answer.body)
        : json(200, {
            target: asked.target,
            nodes: [{ node: 1, instanceId: 'mi-1', result: 'released' }]
          });
    }
    return json(404, { error: `no route /api/${path}`, code: 'not-found' });
  };
  return { requests, fetch };
}

function standIn(terminalsAvailable = true, targets = DEMO) {
  const bridge = fakeBridge(targets);
  const added: { widget: Widget; area?: string; options?: unknown }[] = [];
  const activated: string[] = [];
  const app = {
    commands: new CommandRegistry(),
    shell: {
      add: (widget: Widget, area?: string, options?: unknown) =>
        added.push({ widget, area, options }),
      activateById: (id: string) => activated.push(id)
    },
    serviceManager: {
      serverSettings: ServerConnection.makeSettings({
        baseUrl: 'http://localhost/lab-base/',
        wsUrl: 'ws://localhost/lab-base/',
        fetch: bridge.fetch as typeof fetch,
        WebSocket: FakeSocket as unknown as typeof WebSocket,
        token: '',
        appendToken: false
      }),
      terminals: {
        isAvailable: () => terminalsAvailable,
        startNew: async () => ({ name: '7' })
      }
    }
  };
  return { app: app as unknown as JupyterFrontEnd, added, activated, bridge };
}

/** A settings object as the registry gives it, whose values the test changes. */
function settingsOf(values: Record<string, unknown>) {
  const changed = new Signal<unknown, void>({});
  const settings = {
    composite: { ...values },
    changed,
    set: jest.fn(async (key: string, value: unknown) => {
      settings.composite = { ...settings.composite, [key]: value };
      changed.emit();
    })
  };
  return settings;
}

async function activate(
  options: {
    values?: Record<string, unknown>;
    terminals?: boolean;
    palette?: boolean;
    targets?: typeof DEMO;
  } = {}
) {
  const env = standIn(options.terminals ?? true, options.targets);
  const settings = settingsOf(options.values ?? {});
  const registry = { load: jest.fn(async () => settings) };
  const restorer = { add: jest.fn(), restore: jest.fn(async () => undefined) };
  const palette = { addItem: jest.fn() };
  const extension = plugin.activate(
    env.app,
    registry as unknown as ISettingRegistry,
    restorer,
    options.palette === false ? null : palette,
    null,
    null
  ) as ISmSshExtension;
  await waitFor(() => extension.model.loaded);
  return { ...env, settings, registry, restorer, palette, extension };
}

let log: jest.SpyInstance;

beforeEach(() => {
  FakeSocket.all = [];
  createdTerminals.length = 0;
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  Notification.manager.dismiss();
});

afterEach(() => {
  log.mockRestore();
});

describe('the plugins', () => {
  it('are the main plugin (owning the settings), the launcher item and the status-bar item', () => {
    expect(plugins.map(p => p.id)).toEqual([
      PLUGIN_ID,
      'sagemaker-ssh-jupyterlab:launcher',
      'sagemaker-ssh-jupyterlab:status-bar'
    ]);
    expect(plugin.id).toBe('sagemaker-ssh-jupyterlab:plugin');
    expect(plugins.every(p => p.autoStart === true)).toBe(true);
    expect(plugin.requires ?? []).toHaveLength(0);
    expect(plugin.optional).toContain(ISettingRegistry);
    expect(plugin.provides).toBe(ISmSshExtension);
    expect(typeof plugin.description).toBe('string');
  });

  it('logs the activation line once, adds the panel on the left and restores it', async () => {
    const { added, restorer, registry, extension } = await activate();
    expect(
      log.mock.calls.filter(
        c =>
          c[0] === 'JupyterLab extension sagemaker-ssh-jupyterlab is activated!'
      )
    ).toHaveLength(1);
    expect(registry.load).toHaveBeenCalledWith(PLUGIN_ID);
    const panel = added.find(a => a.widget.id === 'sm-ssh-panel')!;
    expect(panel.area).toBe('left');
    expect(panel.options).toEqual({ rank: 850 });
    expect(panel.widget.title.caption).toBe('SageMaker SSH');
    expect(restorer.add).toHaveBeenCalledWith(panel.widget, 'sm-ssh-panel');
    expect(extension.model.targets).toHaveLength(DEMO.length);
    extension.model.dispose();
  });

  it('registers the commands, five of them in the palette under "SageMaker SSH"', async () => {
    const { app, palette, extension } = await activate();
    for (const id of Object.values(CommandIDs)) {
      expect(app.commands.hasCommand(id)).toBe(true);
    }
    expect(palette.addItem.mock.calls.map(c => c[0])).toEqual([
      { command: 'sm-ssh:open-panel', category: 'SageMaker SSH' },
      { command: 'sm-ssh:connect', category: 'SageMaker SSH' },
      { command: 'sm-ssh:check-setup', category: 'SageMaker SSH' },
      { command: 'sm-ssh:refresh', category: 'SageMaker SSH' },
      { command: 'sm-ssh:release-job', category: 'SageMaker SSH' }
    ]);
    expect(app.commands.label('sm-ssh:release-job', { isPalette: true })).toBe(
      'SageMaker SSH: Release a waiting job…'
    );
    expect(app.commands.label('sm-ssh:release-job', { target: JOB })).toBe(
      `Release ${JOB}`
    );
    expect(app.commands.label('sm-ssh:connect', { isPalette: true })).toBe(
      'SageMaker SSH: Connect to…'
    );
    expect(app.commands.label('sm-ssh:connect', { isLauncher: true })).toBe(
      'SageMaker SSH'
    );
    expect(app.commands.label('sm-ssh:check-setup')).toBe(
      'SageMaker SSH: Check setup'
    );
    extension.model.dispose();
  });

  it('activates without a setting registry or palette', async () => {
    const env = standIn();
    const extension = plugin.activate(
      env.app,
      null,
      null,
      null,
      null,
      null
    ) as ISmSshExtension;
    await waitFor(() => extension.model.loaded);
    expect(
      env.bridge.requests.some(r => r.url.pathname.endsWith('/api/targets'))
    ).toBe(true);
    extension.model.dispose();
  });
});

describe('settings and the event stream', () => {
  it('sends region and profile with every call and the stream, and applies changes live', async () => {
    const { bridge, settings, extension } = await activate({
      values: {
        region: 'eu-west-1',
        profile: 'dev',
        showOtherUsers: true,
        refreshInterval: 10
      }
    });
    const listing = bridge.requests.find(r =>
      r.url.pathname.endsWith('/sm-ssh/api/targets')
    )!;
    expect(listing.url.searchParams.get('region')).toBe('eu-west-1');
    expect(listing.url.searchParams.get('profile')).toBe('dev');
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.all[0].url).toBe(
      'ws://localhost/lab-base/sm-ssh/api/events?region=eu-west-1&profile=dev'
    );
    expect(extension.model.showOtherUsers).toBe(true);
    expect(extension.model.refreshInterval).toBe(10);

    bridge.requests.length = 0;
    await settings.set('region', 'us-west-2');
    expect(FakeSocket.all[0].closed).toBe(true);
    expect(FakeSocket.all[1].url).toContain('region=us-west-2');
    await waitFor(() =>
      bridge.requests.some(
        r => r.url.searchParams.get('region') === 'us-west-2'
      )
    );
    expect(extension.settings.region).toBe('us-west-2');
    await settings.set('showOtherUsers', false);
    expect(extension.model.showOtherUsers).toBe(false);
    extension.model.dispose();
  });

  it('applies events of the stream to the model (and the status-bar count)', async () => {
    const { extension } = await activate();
    const socket = FakeSocket.all[0];
    socket.open();
    expect(extension.model.eventsConnected).toBe(true);
    socket.receive({ type: 'tunnel', tunnel: tunnel('s1') });
    expect(extension.model.liveTunnelCount).toBe(1);
    socket.receive({
      type: 'tunnel',
      tunnel: tunnel('s1', { state: 'failed', error: 'dropped' })
    });
    expect(extension.model.liveTunnelCount).toBe(0);
    expect(
      Notification.manager.notifications.some(n =>
        n.message.includes('failed: dropped')
      )
    ).toBe(true);
    socket.receive({ type: 'tunnel-closed', id: 's1' });
    expect(extension.model.tunnels).toHaveLength(0);
    extension.model.dispose();
  });

  it('the panel toggle saves showOtherUsers in the settings', async () => {
    const { added, settings, extension } = await activate();
    const panel = added.find(a => a.widget.id === 'sm-ssh-panel')!.widget;
    document.body.appendChild(panel.node);
    panel.update();
    const toggle = await waitFor(
      () =>
        panel.node.querySelector(
          '.jp-SmSsh-toggle input'
        ) as HTMLInputElement | null
    );
    toggle.click();
    await waitFor(() => settings.set.mock.calls.length > 0);
    expect(settings.set).toHaveBeenCalledWith('showOtherUsers', true);
    expect(extension.model.showOtherUsers).toBe(true);
    panel.node.remove();
    extension.model.dispose();
  });
});

describe('the commands', () => {
  it('sm-ssh:connect opens a terminal that runs sm-ssh connect with the settings', async () => {
    const { app, added, activated, extension } = await activate({
      values: {
        defaultUser: 'ubuntu',
        region: 'us-east-1',
        extraForwards: ['8888:localhost:8888']
      }
    });
    const id = await app.commands.execute('sm-ssh:connect', {
      target: 'ssh-training-demo.training.sagemaker',
      node: 2
    });
    expect(createdTerminals).toHaveLength(1);
    expect(createdTerminals[0].options).toEqual({
      initialCommand:
        '/usr/bin/node /opt/sm-ssh/main.js connect ssh-training-demo.training.sagemaker --node 2 --user ubuntu --region us-east-1 -L 8888:localhost:8888'
    });
    const terminal = added.find(a => a.area === 'main')!.widget;
    expect(terminal.id).toBe(id);
    expect(terminal.hasClass('jp-SmSsh-terminal')).toBe(true);
    // the stand-in Terminal named itself "Terminal 1"; the title stays ours
    expect(terminal.title.label).toBe(
      'SSH ssh-training-demo.training.sagemaker'
    );
    expect(activated).toContain(id);
    extension.model.dispose();
  });

  it("passes --any-owner for another user's target", async () => {
    const { app, extension } = await activate();
    await app.commands.execute('sm-ssh:connect', {
      target: 'bob-training-job.training.sagemaker'
    });
    expect(
      (createdTerminals[0].options as { initialCommand: string }).initialCommand
    ).toBe(
      '/usr/bin/node /opt/sm-ssh/main.js connect bob-training-job.training.sagemaker --any-owner'
    );
    extension.model.dispose();
  });

  it('sm-ssh:connect tells the user when the server has no terminals', async () => {
    const { app, extension } = await activate({ terminals: false });
    const error = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    const result = await app.commands.execute('sm-ssh:connect', {
      target: 'ssh-training-demo.training.sagemaker'
    });
    expect(result).toBeNull();
    expect(createdTerminals).toHaveLength(0);
    const notice = Notification.manager.notifications.find(
      n => n.type === 'error'
    )!;
    expect(notice.message).toMatch(/no terminals/);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
    extension.model.dispose();
  });

  it('sm-ssh:connect without a target asks for one', async () => {
    const { app, extension } = await activate();
    const running = app.commands.execute('sm-ssh:connect', {});
    const select = await waitFor(
      () =>
        document.querySelector(
          '.jp-Dialog select[aria-label="Target"]'
        ) as HTMLSelectElement | null
    );
    expect(Array.from(select.options).map(o => o.value)).toContain(
      'ssh-processing-demo.processing.sagemaker'
    );
    // other users' targets are not offered
    expect(Array.from(select.options).map(o => o.value)).not.toContain(
      'bob-training-job.training.sagemaker'
    );
    select.value = 'ssh-processing-demo.processing.sagemaker';
    select.dispatchEvent(new Event('change'));
    (
      document.querySelector('.jp-Dialog .jp-mod-accept') as HTMLButtonElement
    ).click();
    await running;
    expect(
      (createdTerminals[0].options as { initialCommand: string }).initialCommand
    ).toBe(
      '/usr/bin/node /opt/sm-ssh/main.js connect ssh-processing-demo.processing.sagemaker'
    );
    extension.model.dispose();
  });

  it('sm-ssh:forward-port with a remote port starts the tunnel and returns it', async () => {
    const { app, bridge, extension } = await activate();
    const result = await app.commands.execute('sm-ssh:forward-port', {
      target: 'ssh-training-demo.training.sagemaker',
      node: 2,
      remotePort: 6006
    });
    const post = bridge.requests.find(r => r.method === 'POST')!;
    expect(post.url.pathname).toBe('/lab-base/sm-ssh/api/tunnels');
    expect(JSON.parse(post.body)).toEqual({
      target: 'ssh-training-demo.training.sagemaker',
      node: 2,
      localPort: 0,
      remoteHost: 'localhost',
      remotePort: 6006,
      anyOwner: false
    });
    expect(result).toMatchObject({
      id: 'new-1',
      localPort: 41000,
      url: 'http://localhost/lab-base/proxy/41000/'
    });
    expect(extension.model.liveTunnelCount).toBe(1);
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'success' &&
          n.message.includes(
            'localhost:41000 → ssh-training-demo.training.sagemaker:6006'
          )
      )
    ).toBe(true);

    await app.commands.execute('sm-ssh:close-tunnel', { id: 'new-1' });
    const del = bridge.requests.find(r => r.method === 'DELETE')!;
    expect(del.url.pathname).toBe('/lab-base/sm-ssh/api/tunnels/new-1');
    expect(extension.model.liveTunnelCount).toBe(0);
    extension.model.dispose();
  });

  it('sm-ssh:forward-port without a remote port asks in the dialog, which validates inline', async () => {
    const { app, bridge, extension } = await activate();
    const running = app.commands.execute('sm-ssh:forward-port', {
      target: 'ssh-training-demo.training.sagemaker'
    });
    const dialog = await waitFor(
      () => document.querySelector('.jp-Dialog') as HTMLElement | null
    );
    const remote = dialog.querySelector(
      'input[aria-label="Remote port"]'
    ) as HTMLInputElement;
    expect(
      dialog.querySelector('input[aria-label="Local port"]')
    ).not.toBeNull();
    expect(
      dialog.querySelector('input[aria-label="Remote host"]')
    ).not.toBeNull();
    expect(dialog.querySelector('select[aria-label="Node"]')).not.toBeNull();
    const forward = Array.from(dialog.querySelectorAll('button')).find(
      b => b.textContent === 'Forward'
    )!;
    remote.value = '70000';
    remote.dispatchEvent(new Event('input', { bubbles: true }));
    expect(dialog.textContent).toContain(
      'A port is a whole number from 1 to 65535'
    );
    expect(forward.disabled).toBe(true);
    remote.value = '8080';
    remote.dispatchEvent(new Event('input', { bubbles: true }));
    expect(forward.disabled).toBe(false);
    forward.click();
    await running;
    const post = bridge.requests.find(r => r.method === 'POST')!;
    expect(JSON.parse(post.body)).toMatchObject({ remotePort: 8080, node: 1 });
    extension.model.dispose();
  });

  it('copies the ssh command with the kind’s default user', async () => {
    const { app, extension } = await activate();
    const copy = jest
      .spyOn(Clipboard, 'copyToSystem')
      .mockImplementation(() => undefined);
    const command = await app.commands.execute('sm-ssh:copy-ssh-command', {
      target: 'ssh-training-demo.training.sagemaker'
    });
    expect(command).toBe(
      "ssh -i /home/u/.config/sm-ssh/id_ed25519 -o UserKnownHostsFile=/home/u/.config/sm-ssh/known_hosts -o 'ProxyCommand=/usr/bin/node /opt/sm-ssh/main.js proxy %n' root@ssh-training-demo.training.sagemaker"
    );
    expect(copy).toHaveBeenCalledWith(command);
    expect(
      Notification.manager.notifications.some(n => n.message.includes('Copied'))
    ).toBe(true);
    // a space: sagemaker-user, no key, no pins (a new host key every session)
    expect(
      await app.commands.execute('sm-ssh:copy-ssh-command', {
        target: SPACE_ON
      })
    ).toBe(
      `ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o 'SetEnv=HOME=/home/sagemaker-user USER=sagemaker-user' -o 'ProxyCommand=/usr/bin/node /opt/sm-ssh/main.js proxy %n' sagemaker-user@${SPACE_ON}`
    );
    copy.mockRestore();
    extension.model.dispose();
  });

  it('sm-ssh:connect on a space runs sm-ssh connect with its name, without the default user of instances', async () => {
    const { app, extension } = await activate({
      values: { defaultUser: 'ubuntu' }
    });
    await app.commands.execute('sm-ssh:connect', { target: SPACE_ON });
    expect(
      (createdTerminals[0].options as { initialCommand: string }).initialCommand
    ).toBe(`/usr/bin/node /opt/sm-ssh/main.js connect ${SPACE_ON}`);
    extension.model.dispose();
  });

  it('sm-ssh:enable-remote-access asks first, does nothing when cancelled', async () => {
    const { app, bridge, extension } = await activate();
    expect(
      app.commands.label('sm-ssh:enable-remote-access', { target: SPACE_OFF })
    ).toBe(`Enable remote access on ${SPACE_OFF}…`);
    const running = app.commands.execute('sm-ssh:enable-remote-access', {
      target: SPACE_OFF
    });
    const dialog = await waitFor(
      () => document.querySelector('.jp-Dialog') as HTMLElement | null
    );
    expect(dialog.textContent).toContain(
      'Enable remote access on ssh-space-off-demo?'
    );
    expect(
      dialog.querySelector('.jp-SmSsh-enableWarning')?.textContent
    ).toMatch(/restarts .*unsaved work in it is lost/);
    const cancel = Array.from(dialog.querySelectorAll('button')).find(
      b => b.textContent === 'Cancel'
    )!;
    cancel.click();
    expect(await running).toBeNull();
    expect(bridge.requests.some(r => r.method === 'POST')).toBe(false);
    extension.model.dispose();
  });

  it('sm-ssh:enable-remote-access posts confirmRestart, follows the steps and ends with a success', async () => {
    const { app, bridge, extension } = await activate();
    const socket = FakeSocket.all[0];
    socket.open();
    const running = app.commands.execute('sm-ssh:enable-remote-access', {
      target: SPACE_OFF
    });
    const dialog = await waitFor(
      () => document.querySelector('.jp-Dialog') as HTMLElement | null
    );
    Array.from(dialog.querySelectorAll('button'))
      .find(b => b.textContent === 'Restart and enable')!
      .click();
    await waitFor(() => extension.model.spaceOperation(SPACE_OFF));
    const post = bridge.requests.find(r => r.method === 'POST')!;
    expect(post.url.pathname).toBe('/lab-base/sm-ssh/api/spaces/remote-access');
    expect(JSON.parse(post.body)).toEqual({
      target: SPACE_OFF,
      confirmRestart: true
    });
    socket.receive({
      type: 'space-operation',
      operation: spaceOperation({ step: 'restarting the JupyterLab app' })
    });
    await waitFor(() =>
      Notification.manager.notifications.some(
        n =>
          n.type === 'in-progress' &&
          n.message ===
            `Enabling remote access on ${SPACE_OFF}: restarting the JupyterLab app…`
      )
    );
    socket.receive({
      type: 'target-updated',
      target: {
        ...extension.model.findTarget(SPACE_OFF)!,
        remoteAccess: 'ENABLED'
      }
    });
    socket.receive({
      type: 'space-operation',
      operation: spaceOperation({ state: 'done', finishedAt: 2000 })
    });
    expect(await running).toMatchObject({ state: 'done' });
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'success' &&
          n.message.startsWith(`Remote access is on for ${SPACE_OFF}`)
      )
    ).toBe(true);
    expect(extension.model.findTarget(SPACE_OFF)?.remoteAccess).toBe('ENABLED');
    extension.model.dispose();
  });

  it('sm-ssh:enable-remote-access shows a failure with its hint', async () => {
    const { app, extension } = await activate();
    const socket = FakeSocket.all[0];
    socket.open();
    const running = app.commands.execute('sm-ssh:enable-remote-access', {
      target: SPACE_OFF
    });
    const dialog = await waitFor(
      () => document.querySelector('.jp-Dialog') as HTMLElement | null
    );
    Array.from(dialog.querySelectorAll('button'))
      .find(b => b.textContent === 'Restart and enable')!
      .click();
    await waitFor(() => extension.model.spaceOperation(SPACE_OFF));
    socket.receive({
      type: 'space-operation',
      operation: spaceOperation({
        state: 'failed',
        error: 'access denied while updating space ssh-space-off-demo',
        hint: 'add sagemaker:UpdateSpace'
      })
    });
    expect(await running).toMatchObject({ state: 'failed' });
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'error' &&
          n.message ===
            `Could not enable remote access on ${SPACE_OFF}: access denied while updating space ssh-space-off-demo — add sagemaker:UpdateSpace`
      )
    ).toBe(true);
    extension.model.dispose();
  });

  it('sm-ssh:enable-remote-access refuses what is not a space, or a space already on, without asking', async () => {
    const { app, bridge, extension } = await activate();
    expect(
      await app.commands.execute('sm-ssh:enable-remote-access', {
        target: 'ssh-training-demo.training.sagemaker'
      })
    ).toBeNull();
    expect(
      await app.commands.execute('sm-ssh:enable-remote-access', {
        target: SPACE_ON
      })
    ).toBeNull();
    expect(document.querySelector('.jp-Dialog')).toBeNull();
    expect(bridge.requests.some(r => r.method === 'POST')).toBe(false);
    expect(Notification.manager.notifications.map(n => n.message)).toEqual(
      expect.arrayContaining([
        'ssh-training-demo.training.sagemaker is not a Studio space: remote access is a setting of spaces',
        `Remote access is already on for ${SPACE_ON}`
      ])
    );
    extension.model.dispose();
  });

  const released = (
    bridge: ReturnType<typeof fakeBridge>
  ): Array<Record<string, unknown>> =>
    bridge.requests
      .filter(
        r => r.method === 'POST' && r.url.pathname.endsWith('/jobs/release')
      )
      .map(r => JSON.parse(r.body));

  it('sm-ssh:release-job posts the target, says what each node did and keeps the release in the model', async () => {
    const { app, bridge, extension } = await activate({
      targets: [...DEMO, job('waiting')]
    });
    const states: Array<string | undefined> = [];
    extension.model.changed.connect(() => {
      const state = extension.model.jobRelease(JOB)?.state;
      if (states[states.length - 1] !== state) {
        states.push(state);
      }
    });
    const running = app.commands.execute('sm-ssh:release-job', {
      target: JOB
    });
    expect(await running).toEqual({
      target: JOB,
      nodes: [{ node: 1, instanceId: 'mi-1', result: 'released' }]
    });
    expect(released(bridge)).toEqual([{ target: JOB }]);
    expect(states).toEqual(['releasing', 'released']);
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'success' &&
          n.message ===
            `Released ${JOB} (node 1 released): its command starts now`
      )
    ).toBe(true);
    // one node only, when asked
    await app.commands.execute('sm-ssh:release-job', { target: JOB, node: 2 });
    expect(released(bridge)[1]).toEqual({ target: JOB, node: 2 });
    extension.model.dispose();
  });

  it("sm-ssh:release-job passes anyOwner for another user's job", async () => {
    const { app, bridge, extension } = await activate({
      targets: [job('waiting', { owner: 'AROAEXAMPLEOTHER:bob', mine: false })],
      values: { showOtherUsers: true }
    });
    await app.commands.execute('sm-ssh:release-job', { target: JOB });
    expect(released(bridge)).toEqual([{ target: JOB, anyOwner: true }]);
    extension.model.dispose();
  });

  it('sm-ssh:release-job reports a node that failed, and a bridge error with its hint', async () => {
    const { app, extension } = await activate({
      targets: [
        job('waiting', { target: 'two-nodes.training.sagemaker', nodes: 2 }),
        job('waiting', { target: 'gone.training.sagemaker' })
      ]
    });
    const partly = await app.commands.execute('sm-ssh:release-job', {
      target: 'two-nodes.training.sagemaker'
    });
    expect(partly).toMatchObject({ target: 'two-nodes.training.sagemaker' });
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'warning' &&
          n.message ===
            'Released two-nodes.training.sagemaker in part: node 1 released, node 2 failed: Run Command timed out'
      )
    ).toBe(true);
    expect(
      await app.commands.execute('sm-ssh:release-job', {
        target: 'gone.training.sagemaker'
      })
    ).toBeNull();
    // the button comes back
    expect(
      extension.model.jobRelease('gone.training.sagemaker')
    ).toBeUndefined();
    expect(
      Notification.manager.notifications.some(
        n =>
          n.type === 'error' &&
          n.message ===
            'Could not release gone.training.sagemaker: there is no training job gone in us-east-1 — sm-ssh list shows the targets'
      )
    ).toBe(true);
    extension.model.dispose();
  });

  it('sm-ssh:release-job refuses a job without SSH or one no longer waiting, without a request', async () => {
    const { app, bridge, extension } = await activate({
      targets: [...DEMO, job('running')]
    });
    for (const target of ['ssh-training-demo.training.sagemaker', JOB]) {
      expect(
        await app.commands.execute('sm-ssh:release-job', { target })
      ).toBeNull();
    }
    expect(released(bridge)).toEqual([]);
    expect(Notification.manager.notifications.map(n => n.message)).toEqual(
      expect.arrayContaining([
        'ssh-training-demo.training.sagemaker was not launched with SSH: it has no wait to end',
        `${JOB} is not waiting any more: it is running`
      ])
    );
    extension.model.dispose();
  });

  it('sm-ssh:release-job from the palette picks among the waiting jobs, or says there is none', async () => {
    const none = await activate();
    expect(await none.app.commands.execute('sm-ssh:release-job')).toBeNull();
    expect(
      Notification.manager.notifications.some(
        n =>
          n.message === 'No job launched with SSH is waiting for a connection'
      )
    ).toBe(true);
    none.extension.model.dispose();

    const { app, bridge, extension } = await activate({
      targets: [
        ...DEMO,
        job('waiting'),
        job('running', { target: 'r.training.sagemaker' })
      ]
    });
    const running = app.commands.execute('sm-ssh:release-job');
    const dialog = await waitFor(
      () => document.querySelector('.jp-Dialog') as HTMLElement | null
    );
    // the header renders on a later frame
    await waitFor(() => dialog.textContent?.includes('Release a waiting job'));
    const options = Array.from(
      dialog.querySelectorAll('select[aria-label="Target"] option')
    ).map(o => o.getAttribute('value'));
    expect(options).toEqual([JOB]);
    Array.from(dialog.querySelectorAll('button'))
      .find(b => b.textContent === 'Release')!
      .click();
    expect(await running).toMatchObject({ target: JOB });
    expect(released(bridge)).toEqual([{ target: JOB }]);
    extension.model.dispose();
  });

  it('sm-ssh:check-setup opens the setup check in the main area', async () => {
    const { app, added, bridge, extension } = await activate();
    await app.commands.execute('sm-ssh:check-setup');
    const view = added.find(a => a.widget.id === 'sm-ssh-setup-check')!;
    expect(view.area).toBe('main');
    expect(view.widget.title.label).toBe('SSH setup check');
    expect(view.widget.hasClass('jp-SmSsh-setupCheck')).toBe(true);
    expect(
      bridge.requests.some(r => r.url.pathname.endsWith('/api/setup/check'))
    ).toBe(true);
    extension.model.dispose();
  });
});

describe('the status-bar and launcher plugins', () => {
  it('registers sagemaker-ssh-jupyterlab:tunnels; a click opens the panel', async () => {
    const { app, activated, extension } = await activate();
    const registerStatusItem = jest.fn();
    expect(statusBarPlugin.requires).toEqual([ISmSshExtension]);
    expect(() =>
      statusBarPlugin.activate(app, extension, null, null)
    ).not.toThrow();
    statusBarPlugin.activate(app, extension, { registerStatusItem }, null);
    const [id, options] = registerStatusItem.mock.calls[0];
    expect(id).toBe('sagemaker-ssh-jupyterlab:tunnels');
    const item = options.item as Widget;
    document.body.appendChild(item.node);
    item.update();
    const button = await waitFor(
      () =>
        item.node.querySelector('.jp-SmSsh-statusItem') as HTMLElement | null
    );
    expect(button.getAttribute('data-count')).toBe('0');
    expect(button.textContent).toBe('0 SSH tunnels');
    button.click();
    expect(activated).toContain('sm-ssh-panel');
    item.node.remove();
    extension.model.dispose();
  });

  it('adds "SageMaker SSH" to the launcher (category Other) running sm-ssh:connect', async () => {
    const { app, extension } = await activate();
    const add = jest.fn();
    launcherPlugin.activate(app, extension, { add });
    // optional: nothing to do without a launcher
    expect(() => launcherPlugin.activate(app, extension, null)).not.toThrow();
    expect(launcherPlugin.requires).toEqual([ISmSshExtension]);
    expect(add).toHaveBeenCalledWith(
      expect.objectContaining({
        command: 'sm-ssh:connect',
        category: 'Other',
        args: { isLauncher: true }
      })
    );
    extension.model.dispose();
  });
});

describe('schema/plugin.json', () => {
  const readSchema = (): ISettingRegistry.ISchema =>
    JSON.parse(JSON.stringify(schemaFile));
  const pluginWith = (
    user: Record<string, unknown>
  ): ISettingRegistry.IPlugin => ({
    id: PLUGIN_ID,
    schema: readSchema(),
    raw: JSON.stringify(user),
    data: { composite: {}, user: {} },
    version: '0.1.0'
  });

  it('is a closed object schema with a title, a description and the six settings', () => {
    const schema = readSchema();
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.title).toBe('SageMaker SSH');
    expect((schema.description as string).length).toBeGreaterThan(0);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual([
      'defaultUser',
      'extraForwards',
      'profile',
      'refreshInterval',
      'region',
      'showOtherUsers'
    ]);
    expect(schema.properties?.refreshInterval).toMatchObject({
      type: 'integer',
      default: 30,
      minimum: 5
    });
    expect(schema.properties?.showOtherUsers).toMatchObject({
      type: 'boolean',
      default: false
    });
  });

  it("passes JupyterLab's own validator, with defaults filled in", () => {
    const validator = new DefaultSchemaValidator();
    const settings = pluginWith({});
    expect(validator.validateData(settings)).toBeNull();
    expect(settings.data.composite).toMatchObject({
      region: '',
      profile: '',
      defaultUser: '',
      extraForwards: [],
      refreshInterval: 30,
      showOtherUsers: false
    });
    expect(
      validator.validateData(
        pluginWith({
          region: 'eu-west-1',
          extraForwards: [
            '8888:localhost:8888',
            '127.0.0.1:6006:localhost:6006'
          ]
        })
      )
    ).toBeNull();
  });

  it.each([
    [{ notASetting: true }, 'additionalProperties'],
    [{ refreshInterval: 2 }, 'minimum'],
    [{ refreshInterval: 7.5 }, 'type'],
    [{ extraForwards: ['8888'] }, 'pattern'],
    [{ showOtherUsers: 'yes' }, 'type']
  ])('rejects %p', (user, keyword) => {
    const errors = new DefaultSchemaValidator().validateData(pluginWith(user));
    expect(errors?.[0].keyword).toBe(keyword);
  });
});
