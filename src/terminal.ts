/**
 * A terminal that runs `sm-ssh connect <target>`: JupyterLab 4's `terminal:create-new` takes no initial command,
 * so a terminal session is started here and a `Terminal` widget built on it with `initialCommand`, inside a
 * MainAreaWidget (class `jp-SmSsh-terminal`, title `SSH <target>`), added to the terminal tracker when there is
 * one (so it gets the terminal's theme and restores after a reload).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import type { ITerminal, ITerminalTracker } from '@jupyterlab/terminal';
import { Terminal } from '@jupyterlab/terminal';
import type { TranslationBundle } from '@jupyterlab/translation';
import { terminalIcon } from '@jupyterlab/ui-components';

export const TERMINAL_CLASS = 'jp-SmSsh-terminal';

/** Control characters would act on the terminal (Ctrl-C, Ctrl-D …) instead of reaching the shell as text. */
export function assertTypeable(command: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(command)) {
    throw new Error(
      'the command line contains a control character, which a terminal would act on'
    );
  }
}

export interface IOpenTerminalOptions {
  app: Pick<JupyterFrontEnd, 'serviceManager' | 'shell'>;
  target: string;
  /** The whole command line, already quoted. */
  command: string;
  tracker?: ITerminalTracker | null;
  trans: TranslationBundle;
}

/** Opens the terminal in the main area and returns its widget. */
export async function openSshTerminal(
  options: IOpenTerminalOptions
): Promise<MainAreaWidget<ITerminal.ITerminal>> {
  const { app, target, command, trans } = options;
  assertTypeable(command);
  const terminals = app.serviceManager.terminals;
  if (!terminals.isAvailable()) {
    throw new Error(
      trans.__(
        'This Jupyter server has no terminals (the terminado package or terminals_enabled is off).'
      )
    );
  }
  const session = await terminals.startNew();
  const content = new Terminal(session, {
    initialCommand: command
  });
  // the Terminal renames itself on connection ("Terminal 1") and on the shell's title escapes, and the
  // MainAreaWidget copies its content's title: keep ours
  const label = `SSH ${target}`;
  content.title.label = label;
  content.title.changed.connect(title => {
    if (title.label !== label) {
      title.label = label;
    }
  });
  // xterm.js loads lazily: show the terminal once it exists, so the widget the command returns is usable
  try {
    await content.ready;
  } catch (reason) {
    content.dispose();
    throw reason;
  }
  const widget = new MainAreaWidget<ITerminal.ITerminal>({ content });
  widget.addClass(TERMINAL_CLASS);
  widget.id = `sm-ssh-terminal-${session.name}`;
  widget.title.label = label;
  widget.title.caption = trans.__('%1 (terminal %2)', command, session.name);
  widget.title.icon = terminalIcon;
  widget.title.closable = true;
  const tracker = options.tracker;
  if (tracker && tracker instanceof WidgetTracker) {
    void tracker.add(widget);
  }
  app.shell.add(widget, 'main');
  app.shell.activateById(widget.id);
  return widget;
}
