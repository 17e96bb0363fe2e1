/**
 * The confirmation before remote access is turned on for a Studio space: SageMaker applies the setting by
 * restarting the space's app, and whatever is not saved in it is lost. Nothing happens unless the user accepts.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import type { IBridgeTarget } from '../tokens';

export const ENABLE_DIALOG_CLASS = 'jp-SmSsh-enableDialog';

/** The dialog's body: what happens, the warning, what to do first. */
export function enableDialogBody(
  target: Pick<IBridgeTarget, 'target' | 'appType'>,
  trans: TranslationBundle
): Widget {
  const body = new Widget();
  body.addClass(ENABLE_DIALOG_CLASS);
  body.node.dataset.target = target.target;
  const app = target.appType ?? trans.__('the');
  const paragraph = (text: string, className?: string) => {
    const node = document.createElement('p');
    node.textContent = text;
    if (className) {
      node.className = className;
    }
    body.node.appendChild(node);
    return node;
  };
  paragraph(
    trans.__(
      'This turns on SageMaker remote access for %1, so sm-ssh can open terminals and forward ports to it.',
      target.target
    )
  );
  const warning = paragraph(
    trans.__(
      'The space’s %1 app restarts to apply it: unsaved work in it is lost, and its kernels and terminals stop.',
      app
    ),
    'jp-SmSsh-enableWarning'
  );
  warning.setAttribute('role', 'alert');
  paragraph(
    trans.__(
      'Save your notebooks and files in the space first. The restart takes a few minutes.'
    ),
    'jp-SmSsh-note'
  );
  return body;
}

/** Asks; true when the user accepted the restart. */
export async function confirmEnableRemoteAccess(
  target: Pick<IBridgeTarget, 'target' | 'appType'>,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Enable remote access on %1?', target.target.split('.')[0]),
    body: enableDialogBody(target, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Restart and enable') })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}
