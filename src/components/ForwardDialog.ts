/**
 * The "Forward port…" dialog: remote port (required), local port (blank = a free one), remote host (default
 * localhost) and, for a multi-node target, the node. Messages show inline as the user types; an invalid field
 * also fails the browser's constraint validation, which JupyterLab's Dialog reads to disable "Forward".
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import {
  HOST_PATTERN,
  LOCAL_PORT_PATTERN,
  PORT_PATTERN,
  validateForward,
  type ForwardValidation,
  type IForwardForm,
  type IForwardValues
} from '../forward';
import type { IBridgeTarget } from '../tokens';

export interface IForwardDialogValue {
  form: IForwardForm;
  validation: ForwardValidation;
}

type Field = keyof IForwardForm;

let counter = 0;

export class ForwardDialogBody
  extends Widget
  implements Dialog.IBodyWidget<IForwardDialogValue>
{
  /**
   * @param showErrors - show every field's message from the start (the dialog was submitted invalid before)
   */
  constructor(
    private readonly target: Pick<IBridgeTarget, 'target' | 'nodes'>,
    form: IForwardForm,
    private readonly trans: TranslationBundle,
    showErrors = false
  ) {
    super();
    this.addClass('jp-SmSsh-forwardForm');
    const prefix = `jp-SmSsh-forward-${++counter}`;
    const intro = document.createElement('p');
    intro.className = 'jp-SmSsh-note';
    intro.textContent = trans.__(
      'A port on the Jupyter server that reaches a port of %1 over SSH.',
      target.target
    );
    this.node.appendChild(intro);
    this.addField(prefix, 'remotePort', 'Remote port', form.remotePort, {
      placeholder: trans.__('e.g. 8888'),
      pattern: PORT_PATTERN,
      required: true
    });
    this.addField(prefix, 'localPort', 'Local port', form.localPort, {
      placeholder: trans.__('blank: a free port'),
      pattern: LOCAL_PORT_PATTERN
    });
    this.addField(prefix, 'remoteHost', 'Remote host', form.remoteHost, {
      placeholder: 'localhost',
      pattern: HOST_PATTERN
    });
    if (target.nodes > 1) {
      this.addNodeField(prefix, form.node);
    } else {
      this._node = form.node || '1';
    }
    if (showErrors) {
      for (const field of Object.keys(this._inputs) as Field[]) {
        this._touched.add(field);
      }
    }
    this.update_();
  }

  /** The form as typed and its validation. */
  getValue(): IForwardDialogValue {
    const form = this.form();
    return {
      form,
      validation: validateForward(form, this.target.nodes, this.trans)
    };
  }

  private form(): IForwardForm {
    return {
      remotePort: this._inputs.remotePort?.value ?? '',
      localPort: this._inputs.localPort?.value ?? '',
      remoteHost: this._inputs.remoteHost?.value ?? '',
      node: this._select?.value ?? this._node
    };
  }

  private addField(
    prefix: string,
    field: Exclude<Field, 'node'>,
    label: string,
    value: string,
    options: { placeholder?: string; required?: boolean; pattern: string }
  ): void {
    const row = document.createElement('div');
    row.className = 'jp-SmSsh-field';
    const id = `${prefix}-${field}`;
    const labelNode = document.createElement('label');
    labelNode.htmlFor = id;
    labelNode.textContent = this.trans.__(label);
    const input = document.createElement('input');
    input.id = id;
    input.type = 'text';
    input.value = value;
    input.setAttribute('aria-label', label);
    input.setAttribute('aria-describedby', `${id}-message`);
    input.autocomplete = 'off';
    input.spellcheck = false;
    if (field !== 'remoteHost') {
      input.inputMode = 'numeric';
    }
    if (options.placeholder) {
      input.placeholder = options.placeholder;
    }
    input.pattern = options.pattern;
    input.required = options.required === true;
    const message = document.createElement('div');
    message.id = `${id}-message`;
    message.className = 'jp-SmSsh-fieldMessage';
    message.setAttribute('aria-live', 'polite');
    // the messages follow the typing; the Dialog (listening on the document, before us) reads the pattern's
    // :invalid, so no custom validity or class it reads is set here (it would lag one keystroke behind)
    input.addEventListener('input', () => {
      this._touched.add(field);
      this.update_();
    });
    input.addEventListener('blur', () => {
      this._touched.add(field);
      this.update_();
    });
    row.append(labelNode, input, message);
    this.node.appendChild(row);
    this._inputs[field] = input;
    this._messages[field] = message;
  }

  private addNodeField(prefix: string, value: string): void {
    const row = document.createElement('div');
    row.className = 'jp-SmSsh-field';
    const id = `${prefix}-node`;
    const labelNode = document.createElement('label');
    labelNode.htmlFor = id;
    labelNode.textContent = this.trans.__('Node');
    const select = document.createElement('select');
    select.id = id;
    select.setAttribute('aria-label', 'Node');
    for (let node = 1; node <= this.target.nodes; node++) {
      const option = document.createElement('option');
      option.value = String(node);
      option.textContent = this.trans.__('node %1', node);
      select.appendChild(option);
    }
    select.value = value || '1';
    const message = document.createElement('div');
    message.id = `${id}-message`;
    message.className = 'jp-SmSsh-fieldMessage';
    select.setAttribute('aria-describedby', message.id);
    select.addEventListener('change', () => this.update_());
    row.append(labelNode, select, message);
    this.node.appendChild(row);
    this._select = select;
    this._messages.node = message;
  }

  /** Shows each touched field's message. */
  private update_(): void {
    const validation = validateForward(
      this.form(),
      this.target.nodes,
      this.trans
    );
    const errors = validation.ok ? {} : validation.errors;
    for (const field of [
      'remotePort',
      'localPort',
      'remoteHost',
      'node'
    ] as Field[]) {
      const error = errors[field] ?? '';
      const control = field === 'node' ? this._select : this._inputs[field];
      const shown = this._touched.has(field) ? error : '';
      control?.classList.toggle('jp-SmSsh-invalid', shown !== '');
      control?.setAttribute('aria-invalid', shown ? 'true' : 'false');
      const message = this._messages[field];
      if (message) {
        message.textContent = shown;
      }
    }
  }

  private readonly _inputs: Partial<Record<Field, HTMLInputElement>> = {};
  private readonly _messages: Partial<Record<Field, HTMLElement>> = {};
  private readonly _touched = new Set<Field>();
  private _select: HTMLSelectElement | null = null;
  private _node = '1';
}

/** What `sm-ssh:forward-port` was given, as the dialog's first values. */
export interface IForwardInitial {
  node?: number;
  remotePort?: number;
  localPort?: number;
  remoteHost?: string;
}

/** Asks until the form is valid or the user cancels (null). */
export async function askForward(
  target: Pick<IBridgeTarget, 'target' | 'nodes'>,
  initial: IForwardInitial,
  trans: TranslationBundle
): Promise<IForwardValues | null> {
  let form: IForwardForm = {
    remotePort: initial.remotePort ? String(initial.remotePort) : '',
    localPort: initial.localPort ? String(initial.localPort) : '',
    remoteHost: initial.remoteHost ?? '',
    node: String(initial.node ?? 1)
  };
  let showErrors = false;
  for (;;) {
    const result = await showDialog<IForwardDialogValue>({
      title: trans.__('Forward a port of %1', target.target),
      body: new ForwardDialogBody(target, form, trans, showErrors),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Forward') })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    if (result.value.validation.ok) {
      return result.value.validation.values;
    }
    form = result.value.form;
    showErrors = true;
  }
}
