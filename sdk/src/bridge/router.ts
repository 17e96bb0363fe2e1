/**
 * Routes: method + path pattern → handler. The path is taken without the prefix jupyter-server-proxy mounts the
 * bridge under (it strips it and sends it as X-Forwarded-Prefix; a path that still has it is accepted too). An
 * unknown path is a 404 and a known path with another method a 405, both JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, HttpError, notFound } from './errors.js';
import { headerValue } from './guard.js';

export interface IRequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  /** The path without the proxy prefix and the query. */
  path: string;
  query: URLSearchParams;
  /** The `:name` parts of the pattern. */
  params: Record<string, string>;
}

/** A handler returns the status and JSON body (undefined body: no content). */
export type RouteHandler = (
  context: IRequestContext
) => Promise<{ status: number; body?: unknown }>;

interface IRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
}

/** The request target split into the path without the proxy prefix and its query. */
export function requestPath(request: IncomingMessage): {
  path: string;
  query: URLSearchParams;
} {
  const url = new URL(request.url ?? '/', 'http://bridge.invalid');
  let path = url.pathname;
  const prefix = headerValue(request, 'x-forwarded-prefix')?.replace(
    /\/+$/,
    ''
  );
  if (prefix && (path === prefix || path.startsWith(`${prefix}/`))) {
    path = path.slice(prefix.length) || '/';
  }
  if (path.length > 1) {
    path = path.replace(/\/+$/, '');
  }
  return { path, query: url.searchParams };
}

export class Router {
  private readonly routes: IRoute[] = [];

  /** `pattern` is a path with `:name` parts, e.g. `/api/tunnels/:id`. */
  add(method: string, pattern: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map(part => {
        if (part.startsWith(':')) {
          names.push(part.slice(1));
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({
      method,
      pattern: new RegExp(`^${source}$`),
      names,
      handler
    });
    return this;
  }

  /** The handler for a request and its path parameters; throws 404 or 405. */
  match(
    method: string,
    path: string
  ): { handler: RouteHandler; params: Record<string, string> } {
    const matching = this.routes.filter(route => route.pattern.test(path));
    if (matching.length === 0) {
      throw notFound(`no route ${path}`, 'the bridge API lives under /api/');
    }
    const route =
      matching.find(candidate => candidate.method === method) ??
      (method === 'HEAD'
        ? matching.find(candidate => candidate.method === 'GET')
        : undefined);
    if (!route) {
      const allowed = [...new Set(matching.map(entry => entry.method))];
      throw new HttpError(
        405,
        'bad-request',
        `${method} is not allowed on ${path}`,
        `use ${allowed.join(' or ')}`
      );
    }
    const found = route.pattern.exec(path) as RegExpExecArray;
    const params: Record<string, string> = {};
    route.names.forEach((name, index) => {
      try {
        params[name] = decodeURIComponent(found[index + 1]);
      } catch {
        throw badRequest(`${path} is not a well-formed path`);
      }
    });
    return { handler: route.handler, params };
  }
}
