/**
 * "SageMaker SSH: Connect to…" without a target: a dialog to pick one of the listed targets (and its node). "Release a
 * waiting job…" uses it too, with its own title and button and no node (a release ends the wait of every SSH node).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { groupTargets } from '../model';
import type { IBridgeTarget } from '../tokens';

export interface IPickedTarget {
  target: string;
  node: number;
}

export class PickTargetBody
  extends Widget
  implements Dialog.IBodyWidget<IPickedTarget | null>
{
  constructor(
    private readonly targets: readonly IBridgeTarget[],
    private readonly trans: TranslationBundle,
    private readonly withNode = true
  ) {
    super();
    this.addClass('jp-SmSsh-pickTarget');
    const label = document.createElement('label');
    label.className = 'jp-SmSsh-field';
    label.textContent = trans.__('Target');
    this._select = document.createElement('select');
    this._select.setAttribute('aria-label', 'Target');
    for (const group of groupTargets(targets)) {
      const optgroup = document.createElement('optgroup');
      optgroup.label = trans.__(group.label);
      for (const target of group.targets) {
        const option = document.createElement('option');
        option.value = target.target;
        option.textContent = `${target.target} (${target.status})`;
        optgroup.appendChild(option);
      }
      this._select.appendChild(optgroup);
    }
    label.appendChild(this._select);
    this.node.appendChild(label);

    const nodeLabel = document.createElement('label');
    nodeLabel.className = 'jp-SmSsh-field';
    nodeLabel.textContent = trans.__('Node');
    this._node = document.createElement('select');
    this._node.setAttribute('aria-label', 'Node');
    nodeLabel.appendChild(this._node);
    this._nodeRow = nodeLabel;
    this.node.appendChild(nodeLabel);
    this._select.addEventListener('change', () => this.fillNodes());
    this.fillNodes();
  }

  getValue(): IPickedTarget | null {
    const target = this._select.value;
    if (!target) {
      return null;
    }
    return { target, node: Number(this._node.value) || 1 };
  }

  private fillNodes(): void {
    const target = this.targets.find(t => t.target === this._select.value);
    const nodes = Math.max(1, target?.nodes ?? 1);
    this._node.textContent = '';
    const shown = this.withNode ? nodes : 1;
    for (let node = 1; node <= shown; node++) {
      const option = document.createElement('option');
      option.value = String(node);
      option.textContent = this.trans.__('node %1', node);
      this._node.appendChild(option);
    }
    this._nodeRow.hidden = shown <= 1;
  }

  private readonly _select: HTMLSelectElement;
  private readonly _node: HTMLSelectElement;
  private readonly _nodeRow: HTMLElement;
}

export interface IPickTargetOptions {
  /** Default "Connect to a SageMaker target". */
  title?: string;
  /** The accepting button's label (default "Open terminal"). */
  accept?: string;
  /** Whether a multi-node target's node is asked for (default true; otherwise node 1 is given). */
  withNode?: boolean;
}

/** The picked target, or null when cancelled. */
export async function pickTarget(
  targets: readonly IBridgeTarget[],
  trans: TranslationBundle,
  options: IPickTargetOptions = {}
): Promise<IPickedTarget | null> {
  const result = await showDialog<IPickedTarget | null>({
    title: options.title ?? trans.__('Connect to a SageMaker target'),
    body: new PickTargetBody(targets, trans, options.withNode ?? true),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: options.accept ?? trans.__('Open terminal') })
    ],
    focusNodeSelector: 'select'
  });
  return result.button.accept ? result.value : null;
}
