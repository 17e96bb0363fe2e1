/**
 * Cross-site request guards. jupyter-server-proxy enforces Jupyter's login but skips its XSRF check and forwards
 * cookies, so the bridge checks for itself: a state-changing request must echo the `_xsrf` cookie in the
 * `X-XSRFToken` header (what JupyterLab's ServerConnection sends), and a WebSocket upgrade from a browser must
 * come from a page of the same host.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isStateChanging(method: string | undefined): boolean {
  return STATE_CHANGING.has((method ?? '').toUpperCase());
}

/** One value of a header (the first, when repeated). */
export function headerValue(
  request: IncomingMessage,
  name: string
): string | undefined {
  const value = request.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first;
}

/** A cookie's raw value from the Cookie header. */
export function cookieValue(
  request: IncomingMessage,
  name: string
): string | undefined {
  const header = headerValue(request, 'cookie');
  for (const part of header?.split(';') ?? []) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      return part.slice(at + 1).trim();
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why a state-changing request is refused, or undefined when its X-XSRFToken matches the `_xsrf` cookie. */
export function xsrfProblem(request: IncomingMessage): string | undefined {
  if (!isStateChanging(request.method)) {
    return undefined;
  }
  const token = headerValue(request, 'x-xsrftoken');
  if (!token) {
    return `${request.method} needs an X-XSRFToken header`;
  }
  const cookie = cookieValue(request, '_xsrf');
  if (!cookie) {
    return `${request.method} needs the _xsrf cookie`;
  }
  return sameSecret(token, cookie)
    ? undefined
    : 'the X-XSRFToken header does not match the _xsrf cookie';
}

const DEFAULT_PORTS: Record<string, string> = {
  'http:': '80',
  'https:': '443',
  'ws:': '80',
  'wss:': '443'
};

/** host[:port] in lower case, without the default port of `protocol`. */
function normalHost(host: string, protocol: string): string {
  const lower = host.trim().toLowerCase();
  const port = DEFAULT_PORTS[protocol];
  return port && lower.endsWith(`:${port}`)
    ? lower.slice(0, -port.length - 1)
    : lower;
}

/**
 * An origin as browsers send it (`scheme://host[:port]`, lower case, default port dropped), or undefined when `text`
 * is not one.
 */
export function normalOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (!/^https?:$/.test(url.protocol) || url.pathname.length > 1) {
    return undefined;
  }
  return `${url.protocol}//${normalHost(url.host, url.protocol)}`;
}

/**
 * Why a WebSocket upgrade is refused, or undefined: an Origin header, when present, must name the host of the
 * request (its Host or X-Forwarded-Host header) or be one of `allowedOrigins` (normalized with normalOrigin): a
 * front proxy such as Studio's may hand Jupyter another Host than the page's.
 */
export function originProblem(
  request: IncomingMessage,
  allowedOrigins: ReadonlySet<string> = new Set()
): string | undefined {
  const origin = headerValue(request, 'origin');
  if (origin === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'the Origin header is not a URL';
  }
  if (
    allowedOrigins.has(`${url.protocol}//${normalHost(url.host, url.protocol)}`)
  ) {
    return undefined;
  }
  const originHost = normalHost(url.host, url.protocol);
  const hosts = [
    headerValue(request, 'host'),
    headerValue(request, 'x-forwarded-host')?.split(',')[0]
  ].filter((host): host is string => Boolean(host));
  return hosts.some(host => normalHost(host, url.protocol) === originHost)
    ? undefined
    : 'the Origin of the WebSocket is another site than the host it connects to';
}
