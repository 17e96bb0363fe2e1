/**
 * The extension's commands (their ids are a contract: see CommandIDs): open the panel, connect (a terminal),
 * check the setup, forward a port, close a tunnel, refresh, enable remote access on a space, release a job launched
 * with SSH, copy the ssh command. The panel's buttons run them too, so a button and the palette behave the same.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { ITerminalTracker } from '@jupyterlab/terminal';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { buildConnectCommand, buildSshCommand, loginUser } from './commandline';
import { confirmEnableRemoteAccess } from './components/EnableRemoteAccessDialog';
import { askForward } from './components/ForwardDialog';
import { pickTarget } from './components/PickTargetDialog';
import { PANEL_ID } from './components/SmSshPanel';
import {
  createSetupCheckWidget,
  SETUP_CHECK_ID,
  type SetupCheckContent
} from './components/SetupCheckView';
import { smSshIcon } from './icons';
import { isWaitingJob, type SmSshModel } from './model';
import { proxyUrl } from './links';
import { BridgeError, type BridgeClient } from './request';
import { SetupCheckModel } from './setup-check';
import { followSpaceOperation } from './space-operation';
import { openSshTerminal } from './terminal';
import {
  CommandIDs,
  type IBridgeInfo,
  type IBridgeReleaseReport,
  type IBridgeTarget,
  type ISmSshSettings,
  type ISpaceOperation
} from './tokens';

/** The extra command behind "Copy ssh command" (not in the palette: it needs a target). */
export const COPY_SSH_COMMAND = 'sm-ssh:copy-ssh-command';

export interface ICommandContext {
  app: JupyterFrontEnd;
  model: SmSshModel;
  client: BridgeClient;
  settings: () => Readonly<ISmSshSettings>;
  trans: TranslationBundle;
  terminalTracker: ITerminalTracker | null;
  setupTracker: WidgetTracker<MainAreaWidget<SetupCheckContent>>;
}

function text(
  args: ReadonlyPartialJSONObject,
  key: string
): string | undefined {
  const value = args[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function integer(
  args: ReadonlyPartialJSONObject,
  key: string
): number | undefined {
  const value = args[key];
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number)
    ? number
    : undefined;
}

/** What a release did, node by node, for a notification ("node 1 released, node 2 was not waiting"). */
export function describeRelease(
  report: IBridgeReleaseReport,
  trans: TranslationBundle
): string {
  return report.nodes
    .map(node => {
      switch (node.result) {
        case 'released':
          return trans.__('node %1 released', node.node);
        case 'already-released':
          return trans.__('node %1 was released already', node.node);
        case 'not-waiting':
          return trans.__('node %1 was not waiting', node.node);
        default:
          return node.detail
            ? trans.__('node %1 failed: %2', node.node, node.detail)
            : trans.__('node %1 failed', node.node);
      }
    })
    .join(', ');
}

/** One line for a notification: the message and, when there is one, the hint. */
export function describeError(reason: unknown): string {
  if (reason instanceof BridgeError) {
    return reason.hint ? `${reason.error} — ${reason.hint}` : reason.error;
  }
  return reason instanceof Error ? reason.message : String(reason);
}

export function addCommands(context: ICommandContext): void {
  const { app, model, client, trans } = context;
  const { commands } = app;

  const info = async (): Promise<IBridgeInfo> => {
    if (model.info) {
      return model.info;
    }
    await model.refresh();
    return model.info ?? (await client.info());
  };

  /** The target's record (listing first when the model has none yet); undefined when it is not listed. */
  const findTarget = async (
    name: string
  ): Promise<IBridgeTarget | undefined> => {
    if (!model.loaded) {
      await model.refresh();
    }
    return model.findTarget(name);
  };

  const fail = (what: string, reason: unknown): void => {
    console.error(`sm-ssh: ${what}`, reason);
    Notification.error(`${what}: ${describeError(reason)}`, {
      autoClose: false
    });
  };
  /** Ends an in-progress notice as an error: `message` says what could not be done and why. */
  const failNotice = (
    notice: string,
    what: string,
    message: string,
    reason: unknown
  ): void => {
    console.error(`sm-ssh: ${what} failed`, reason);
    Notification.update({
      id: notice,
      message,
      type: 'error',
      autoClose: false
    });
  };

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('SageMaker SSH: Open panel'),
    caption: trans.__('Show the SageMaker SSH targets and tunnels'),
    icon: args => (args.isPalette ? undefined : smSshIcon),
    execute: () => {
      app.shell.activateById(PANEL_ID);
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('SageMaker SSH: Refresh targets'),
    caption: trans.__('List the SSH targets again'),
    execute: () => model.refresh({ force: true })
  });

  commands.addCommand(CommandIDs.connect, {
    label: args =>
      args.isLauncher
        ? trans.__('SageMaker SSH')
        : text(args, 'target')
          ? trans.__('Open terminal on %1', text(args, 'target'))
          : trans.__('SageMaker SSH: Connect to…'),
    caption: trans.__(
      'Open a terminal that runs sm-ssh connect on a SageMaker target'
    ),
    icon: args => (args.isPalette ? undefined : smSshIcon),
    execute: async args => {
      let target = text(args, 'target');
      let node = integer(args, 'node') ?? 1;
      try {
        if (!target) {
          await model.refresh();
          const choices = model.visibleTargets;
          if (choices.length === 0) {
            Notification.warning(
              model.error
                ? trans.__('No SSH targets: %1', describeError(model.error))
                : trans.__(
                    'No SSH-enabled targets are listed. Start a job with the SSH helper, or check the region in the settings.'
                  ),
              { autoClose: 8000 }
            );
            return null;
          }
          const picked = await pickTarget(choices, trans);
          if (!picked) {
            return null;
          }
          target = picked.target;
          node = picked.node;
        }
        const settings = context.settings();
        const record = await findTarget(target);
        const command = buildConnectCommand(
          (await info()).smSshShellCommand,
          target,
          {
            node,
            // a space's remote-access server logs in sagemaker-user only: the setting is for instances
            user:
              record?.via === 'remote-access'
                ? undefined
                : settings.defaultUser,
            region: settings.region,
            profile: settings.profile,
            anyOwner: record ? !record.mine : false,
            forwards: settings.extraForwards
          }
        );
        const widget = await openSshTerminal({
          app,
          target,
          command,
          tracker: context.terminalTracker,
          trans
        });
        return widget.id;
      } catch (reason) {
        fail(
          trans.__('Could not open a terminal on %1', target ?? '…'),
          reason
        );
        return null;
      }
    }
  });

  commands.addCommand(CommandIDs.checkSetup, {
    label: trans.__('SageMaker SSH: Check setup'),
    caption: trans.__(
      'Check the IAM roles and SSM settings SSH into SageMaker needs'
    ),
    execute: async () => {
      let widget = context.setupTracker.find(w => w.id === SETUP_CHECK_ID);
      if (!widget || widget.isDisposed) {
        const checkModel = new SetupCheckModel(client);
        widget = createSetupCheckWidget(
          checkModel,
          {
            copy: (value, what) => copyText(value, what, trans)
          },
          trans
        );
        void context.setupTracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        await checkModel.run();
      } else {
        app.shell.activateById(widget.id);
        await widget.content.model.run();
      }
      return widget.id;
    }
  });

  commands.addCommand(CommandIDs.forwardPort, {
    label: args =>
      text(args, 'target')
        ? trans.__('Forward a port of %1…', text(args, 'target'))
        : trans.__('Forward a port…'),
    caption: trans.__(
      'Open a port on the Jupyter server that reaches a port of the target over SSH'
    ),
    execute: async args => {
      const target = text(args, 'target');
      if (!target) {
        Notification.warning(
          trans.__('Forward a port: choose a target in the SageMaker SSH panel')
        );
        return null;
      }
      const record = await findTarget(target).catch(() => undefined);
      let values = {
        node: integer(args, 'node') ?? 1,
        remotePort: integer(args, 'remotePort'),
        localPort: integer(args, 'localPort') ?? 0,
        remoteHost: text(args, 'remoteHost') ?? 'localhost'
      };
      if (values.remotePort === undefined) {
        const asked = await askForward(
          { target, nodes: record?.nodes ?? 1 },
          values,
          trans
        );
        if (!asked) {
          return null;
        }
        values = asked;
      }
      const request = client.startTunnel({
        target,
        node: values.node,
        localPort: values.localPort,
        remoteHost: values.remoteHost,
        remotePort: values.remotePort as number,
        anyOwner: record ? !record.mine : false
      });
      const notice = Notification.emit(
        trans.__('Forwarding a port of %1 (connecting over SSM)…', target),
        'in-progress',
        { autoClose: false }
      );
      try {
        const tunnel = await request;
        model.setTunnel(tunnel);
        const url = proxyUrl(app, tunnel.localPort);
        Notification.update({
          id: notice,
          message: trans.__(
            'Tunnel up: localhost:%1 → %2:%3',
            tunnel.localPort,
            target,
            tunnel.remotePort
          ),
          type: 'success',
          autoClose: 8000,
          actions: [
            {
              label: trans.__('Open'),
              caption: url,
              callback: () => window.open(url, '_blank', 'noopener')
            }
          ]
        });
        return { ...tunnel, url };
      } catch (reason) {
        failNotice(
          notice,
          'forward',
          trans.__(
            'Could not forward a port of %1: %2',
            target,
            describeError(reason)
          ),
          reason
        );
        return null;
      }
    }
  });

  commands.addCommand(CommandIDs.closeTunnel, {
    label: trans.__('Close tunnel'),
    caption: trans.__('Stop forwarding the port'),
    execute: async args => {
      const id = text(args, 'id');
      if (!id) {
        return false;
      }
      try {
        await client.closeTunnel(id);
      } catch (reason) {
        // a tunnel the bridge no longer knows is gone already
        if (!(reason instanceof BridgeError && reason.status === 404)) {
          fail(trans.__('Could not close the tunnel'), reason);
          return false;
        }
      }
      model.removeTunnel(id);
      return true;
    }
  });

  commands.addCommand(CommandIDs.enableRemoteAccess, {
    label: args =>
      text(args, 'target')
        ? trans.__('Enable remote access on %1…', text(args, 'target'))
        : trans.__('Enable remote access…'),
    caption: trans.__(
      'Turn SageMaker remote access on for a Studio space (its app restarts: unsaved work in it is lost)'
    ),
    execute: async (args): Promise<ISpaceOperation | null> => {
      const target = text(args, 'target');
      if (!target) {
        Notification.warning(
          trans.__(
            'Enable remote access: choose a Studio space in the SageMaker SSH panel'
          )
        );
        return null;
      }
      const record = await findTarget(target).catch(() => undefined);
      if (record && record.via !== 'remote-access') {
        Notification.warning(
          trans.__(
            '%1 is not a Studio space: remote access is a setting of spaces',
            target
          ),
          { autoClose: 8000 }
        );
        return null;
      }
      if (record?.remoteAccess === 'ENABLED') {
        Notification.info(
          trans.__('Remote access is already on for %1', target),
          {
            autoClose: 5000
          }
        );
        return null;
      }
      if (!(await confirmEnableRemoteAccess(record ?? { target }, trans))) {
        return null;
      }
      const progress = (operation: ISpaceOperation) =>
        trans.__('Enabling remote access on %1: %2…', target, operation.step);
      const notice = Notification.emit(
        trans.__('Enabling remote access on %1…', target),
        'in-progress',
        { autoClose: false }
      );
      const failed = (reason: unknown) =>
        failNotice(
          notice,
          'enabling remote access',
          trans.__(
            'Could not enable remote access on %1: %2',
            target,
            describeError(reason)
          ),
          reason
        );
      let started: ISpaceOperation;
      try {
        started = await client.enableRemoteAccess(target);
      } catch (reason) {
        failed(reason);
        return null;
      }
      model.setSpaceOperation(started);
      Notification.update({ id: notice, message: progress(started) });
      const ended = await followSpaceOperation(model, client, started, now =>
        Notification.update({ id: notice, message: progress(now) })
      );
      if (ended.state === 'failed') {
        failed(
          new BridgeError(0, {
            error: ended.error ?? ended.step,
            hint: ended.hint,
            code: 'failed'
          })
        );
        return ended;
      }
      Notification.update({
        id: notice,
        message: trans.__(
          'Remote access is on for %1: Terminal and Forward port reach it now',
          target
        ),
        type: 'success',
        autoClose: 8000
      });
      // the bridge listed again before it reported the end; without an event stream, so does the panel
      if (!model.eventsConnected) {
        void model.refresh();
      }
      return ended;
    }
  });

  commands.addCommand(CommandIDs.releaseJob, {
    label: args =>
      text(args, 'target')
        ? trans.__('Release %1', text(args, 'target'))
        : trans.__('SageMaker SSH: Release a waiting job…'),
    caption: trans.__(
      'End the wait of a job launched with SSH: its own command starts now (sm-ssh job release)'
    ),
    execute: async (args): Promise<IBridgeReleaseReport | null> => {
      let target = text(args, 'target');
      const node = integer(args, 'node');
      if (!target) {
        await model.refresh();
        const waiting = model.visibleTargets.filter(isWaitingJob);
        if (waiting.length === 0) {
          Notification.info(
            trans.__('No job launched with SSH is waiting for a connection'),
            { autoClose: 5000 }
          );
          return null;
        }
        const picked = await pickTarget(waiting, trans, {
          title: trans.__('Release a waiting job'),
          accept: trans.__('Release'),
          withNode: false
        });
        if (!picked) {
          return null;
        }
        target = picked.target;
      }
      const record = await findTarget(target).catch(() => undefined);
      if (record && !record.job) {
        Notification.warning(
          trans.__(
            '%1 was not launched with SSH: it has no wait to end',
            target
          ),
          { autoClose: 8000 }
        );
        return null;
      }
      if (
        record?.job?.phase === 'running' ||
        record?.job?.phase === 'finished'
      ) {
        Notification.info(
          trans.__(
            '%1 is not waiting any more: it is %2',
            target,
            record.job.phase
          ),
          { autoClose: 5000 }
        );
        return null;
      }
      if (model.jobRelease(target)?.state === 'releasing') {
        return null;
      }
      const at = Date.now();
      model.setJobRelease(target, { state: 'releasing', at });
      const notice = Notification.emit(
        trans.__('Releasing %1…', target),
        'in-progress',
        { autoClose: false }
      );
      let report: IBridgeReleaseReport;
      try {
        report = await client.releaseJob(target, {
          node,
          anyOwner: record ? !record.mine : false
        });
      } catch (reason) {
        model.setJobRelease(target, undefined);
        failNotice(
          notice,
          'release',
          trans.__('Could not release %1: %2', target, describeError(reason)),
          reason
        );
        return null;
      }
      const failed = report.nodes.filter(n => n.result === 'failed').length;
      const allFailed = failed === report.nodes.length;
      // a release no node took leaves the job waiting: its button comes back
      model.setJobRelease(
        target,
        allFailed ? undefined : { state: 'released', at, report }
      );
      const nodes = describeRelease(report, trans);
      Notification.update({
        id: notice,
        message: allFailed
          ? trans.__(
              'Could not release %1: %2',
              target,
              nodes || trans.__('no SSH node answered')
            )
          : failed > 0
            ? trans.__('Released %1 in part: %2', target, nodes)
            : trans.__(
                'Released %1 (%2): its command starts now',
                target,
                nodes
              ),
        type: allFailed ? 'error' : failed > 0 ? 'warning' : 'success',
        autoClose: failed > 0 ? false : 8000
      });
      // the bridge lists again after a release; without an event stream, so does the panel
      if (!model.eventsConnected) {
        void model.refresh({ force: true });
      }
      return report;
    }
  });

  commands.addCommand(COPY_SSH_COMMAND, {
    label: args =>
      trans.__('Copy ssh command for %1', text(args, 'target') ?? '…'),
    caption: trans.__(
      'Copy an OpenSSH command line that reaches the target through sm-ssh proxy'
    ),
    execute: async args => {
      const target = text(args, 'target');
      if (!target) {
        return null;
      }
      try {
        const settings = context.settings();
        const record = await findTarget(target);
        const bridge = await info();
        const command = buildSshCommand(bridge, target, {
          user: loginUser(
            bridge,
            record?.kind ?? 'training',
            record?.via === 'remote-access' ? undefined : settings.defaultUser
          ),
          node: integer(args, 'node'),
          region: settings.region,
          profile: settings.profile,
          anyOwner: record ? !record.mine : false,
          remoteAccess: record?.via === 'remote-access'
        });
        copyText(command, trans.__('the ssh command'), trans);
        return command;
      } catch (reason) {
        fail(trans.__('Could not build the ssh command'), reason);
        return null;
      }
    }
  });
}

/** Copies to the system clipboard and says so. */
export function copyText(
  value: string,
  what: string,
  trans: TranslationBundle
): void {
  Clipboard.copyToSystem(value);
  Notification.success(trans.__('Copied %1 to the clipboard', what), {
    autoClose: 4000
  });
}
