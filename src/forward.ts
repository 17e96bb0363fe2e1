/**
 * The form of "Forward port…": raw field text → a checked tunnel request, or a message per bad field (the
 * dialog shows them inline). The rules are the bridge's (`POST /api/tunnels`), so a request that passes here is
 * not refused for its shape there.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

export interface IForwardForm {
  remotePort: string;
  localPort: string;
  remoteHost: string;
  /** 1-based node, as text (a select's value). */
  node: string;
}

export interface IForwardValues {
  remotePort: number;
  /** 0 = a free port. */
  localPort: number;
  remoteHost: string;
  node: number;
}

export type ForwardErrors = Partial<Record<keyof IForwardForm, string>>;

export type ForwardValidation =
  { ok: true; values: IForwardValues } | { ok: false; errors: ForwardErrors };

/**
 * The same rules as HTML `pattern`s (whole-value matches, valid with the `v` flag browsers compile them with),
 * so the browser's constraint validation (`:invalid`, computed as the user types) agrees with validateForward.
 * The host pattern is looser (characters only); validateForward has the last word.
 */
export const PORT_PATTERN =
  '6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}';
export const LOCAL_PORT_PATTERN = `0|${PORT_PATTERN}`;
export const HOST_PATTERN = '[A-Za-z0-9_.:\\-]{1,253}';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** A host name or an IP address, as the bridge accepts it. */
export function isHost(text: string): boolean {
  if (HOSTNAME.test(text) || IPV4.test(text)) {
    return true;
  }
  // a loose IPv6 check: hex groups and colons (at least two), optionally an IPv4 tail
  return text.includes(':') && IPV6.test(text) && text.split(':').length >= 3;
}

function wholeNumber(text: string): number | undefined {
  return /^(0|[1-9]\d{0,5})$/.test(text) ? Number(text) : undefined;
}

const identity: Pick<TranslationBundle, '__'> = {
  __: (text: string, ...args: unknown[]) =>
    text.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
};

/** Checks the form; `nodes` is the target's node count. */
export function validateForward(
  form: IForwardForm,
  nodes: number,
  trans: Pick<TranslationBundle, '__'> = identity
): ForwardValidation {
  const errors: ForwardErrors = {};
  const remoteText = form.remotePort.trim();
  const remotePort = wholeNumber(remoteText);
  if (remoteText === '') {
    errors.remotePort = trans.__('Enter the port on the target, e.g. 8888');
  } else if (remotePort === undefined || remotePort < 1 || remotePort > 65535) {
    errors.remotePort = trans.__('A port is a whole number from 1 to 65535');
  }
  const localText = form.localPort.trim();
  const localPort = localText === '' ? 0 : wholeNumber(localText);
  if (localPort === undefined || localPort > 65535) {
    errors.localPort = trans.__(
      'A port from 1 to 65535, or blank (0) for a free one'
    );
  }
  const remoteHost = form.remoteHost.trim() || 'localhost';
  if (!isHost(remoteHost)) {
    errors.remoteHost = trans.__(
      'A host name or IP address as the target sees it (localhost: the target itself)'
    );
  }
  const nodeText = form.node.trim();
  const node = nodeText === '' ? 1 : wholeNumber(nodeText);
  if (node === undefined || node < 1 || node > Math.max(1, nodes)) {
    errors.node = trans.__('A node from 1 to %1', Math.max(1, nodes));
  }
  if (Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    values: {
      remotePort: remotePort as number,
      localPort: localPort as number,
      remoteHost,
      node: node as number
    }
  };
}
