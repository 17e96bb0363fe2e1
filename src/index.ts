/**
 * The plugins of sagemaker-ssh-jupyterlab: the main one (settings, model, sidebar panel, commands, palette),
 * the launcher item and the status-bar item. Everything AWS happens in `sm-ssh serve` on the Jupyter server;
 * this side only calls its API (`<baseUrl>sm-ssh/api/…`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITerminalTracker } from '@jupyterlab/terminal';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { addCommands, COPY_SSH_COMMAND } from './commands';
import {
  PANEL_ID,
  SmSshPanel,
  type IPanelActions
} from './components/SmSshPanel';
import type { SetupCheckContent } from './components/SetupCheckView';
import { STATUS_ITEM_ID, TunnelStatusItem } from './components/StatusItem';
import { BridgeEvents } from './events';
import { SmSshExtension } from './extension';
import { smSshIcon } from './icons';
import { proxyUrl } from './links';
import { SmSshModel } from './model';
import { watchTunnels } from './notices';
import { BridgeClient } from './request';
import { DEFAULT_SETTINGS, readSettings } from './settings';
import {
  COMMAND_CATEGORY,
  CommandIDs,
  ISmSshExtension,
  PLUGIN_ID,
  type ISmSshSettings
} from './tokens';

export { ISmSshExtension } from './tokens';
export type { ISmSshSettings } from './tokens';

const TRANSLATION_DOMAIN = 'sagemaker_ssh_jupyterlab';

/** The main plugin: owns the settings of schema/plugin.json. */
const plugin: JupyterFrontEndPlugin<ISmSshExtension> = {
  id: PLUGIN_ID,
  description:
    'SSH into SageMaker jobs, endpoints, notebooks and Studio apps through SSM, from JupyterLab.',
  autoStart: true,
  provides: ISmSshExtension,
  optional: [
    ISettingRegistry,
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ITerminalTracker
  ],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    terminalTracker: ITerminalTracker | null
  ): ISmSshExtension => {
    console.log('JupyterLab extension sagemaker-ssh-jupyterlab is activated!');
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;

    let extension: SmSshExtension | null = null;
    const current = (): Readonly<ISmSshSettings> =>
      extension?.settings ?? DEFAULT_SETTINGS;
    const client = new BridgeClient(serverSettings, () => current());
    const events = new BridgeEvents(serverSettings, () => client.scopeQuery());
    const model = new SmSshModel({
      client,
      events,
      refreshInterval: DEFAULT_SETTINGS.refreshInterval,
      showOtherUsers: DEFAULT_SETTINGS.showOtherUsers
    });
    extension = new SmSshExtension(model, client);
    const ext = extension;
    watchTunnels(events, trans);

    let settingsObject: ISettingRegistry.ISettings | null = null;
    const actions: IPanelActions = {
      openTerminal: (target, node) =>
        void app.commands.execute(CommandIDs.connect, {
          target: target.target,
          node
        }),
      forwardPort: (target, node) =>
        void app.commands.execute(CommandIDs.forwardPort, {
          target: target.target,
          node
        }),
      copySshCommand: (target, node) =>
        void app.commands.execute(COPY_SSH_COMMAND, {
          target: target.target,
          node
        }),
      enableRemoteAccess: target =>
        void app.commands.execute(CommandIDs.enableRemoteAccess, {
          target: target.target
        }),
      dismissSpaceOperation: target => model.clearSpaceOperation(target.target),
      releaseJob: target =>
        void app.commands.execute(CommandIDs.releaseJob, {
          target: target.target
        }),
      closeTunnel: tunnel =>
        void app.commands.execute(CommandIDs.closeTunnel, { id: tunnel.id }),
      proxyUrl: port => proxyUrl(app, port),
      refresh: () => void app.commands.execute(CommandIDs.refresh),
      checkSetup: () => void app.commands.execute(CommandIDs.checkSetup),
      setShowOtherUsers: value => {
        if (settingsObject) {
          settingsObject.set('showOtherUsers', value).catch(reason => {
            console.warn('sm-ssh: could not save showOtherUsers', reason);
            model.showOtherUsers = value;
          });
        } else {
          model.showOtherUsers = value;
        }
      }
    };

    const panel = new SmSshPanel(model, actions, trans);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);

    const setupTracker = new WidgetTracker<MainAreaWidget<SetupCheckContent>>({
      namespace: 'sm-ssh-setup-check'
    });
    void restorer?.restore(setupTracker, {
      command: CommandIDs.checkSetup,
      name: () => 'setup-check'
    });

    addCommands({
      app,
      model,
      client,
      settings: current,
      trans,
      terminalTracker,
      setupTracker
    });
    if (palette) {
      for (const command of [
        CommandIDs.openPanel,
        CommandIDs.connect,
        CommandIDs.checkSetup,
        CommandIDs.refresh,
        CommandIDs.releaseJob
      ]) {
        palette.addItem({ command, category: COMMAND_CATEGORY });
      }
    }

    const apply = (next: ISmSshSettings) => {
      const previous = ext.setSettings(next);
      model.showOtherUsers = next.showOtherUsers;
      model.refreshInterval = next.refreshInterval;
      if (
        started &&
        (previous.region !== next.region || previous.profile !== next.profile)
      ) {
        events.reconnect();
        void model.reset();
      }
    };
    let started = false;
    const start = () => {
      started = true;
      events.connect();
      model.start();
    };

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          settingsObject = settings;
          apply(readSettings(settings.composite));
          settings.changed.connect(() =>
            apply(readSettings(settings.composite))
          );
        })
        .catch(reason => {
          console.error(
            'Failed to load settings for sagemaker-ssh-jupyterlab.',
            reason
          );
        })
        .finally(start);
    } else {
      start();
    }
    return ext;
  }
};

/** The launcher card "SageMaker SSH" (category Other): connect to a target picked in a dialog. */
const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'sagemaker-ssh-jupyterlab:launcher',
  description: 'A launcher item that opens a terminal on a SageMaker target.',
  autoStart: true,
  requires: [ISmSshExtension],
  optional: [ILauncher],
  activate: (
    app: JupyterFrontEnd,
    _: ISmSshExtension,
    launcher: ILauncher | null
  ) => {
    if (!launcher) {
      return;
    }
    launcher.add({
      command: CommandIDs.connect,
      category: 'Other',
      rank: 50,
      args: { isLauncher: true }
    });
  }
};

/** The status-bar item: the number of live tunnels; a click opens the panel. */
const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'sagemaker-ssh-jupyterlab:status-bar',
  description: 'Shows the number of live SSH tunnels in the status bar.',
  autoStart: true,
  requires: [ISmSshExtension],
  optional: [IStatusBar, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    extension: ISmSshExtension,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ) => {
    if (!statusBar) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const item = new TunnelStatusItem(
      extension.model,
      () => void app.commands.execute(CommandIDs.openPanel),
      trans
    );
    statusBar.registerStatusItem(STATUS_ITEM_ID, {
      item,
      align: 'left',
      rank: 100,
      isActive: () => true
    });
  }
};

export { smSshIcon };

export default [plugin, launcherPlugin, statusBarPlugin];
