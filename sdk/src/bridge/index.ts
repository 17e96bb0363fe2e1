/** `sm-ssh serve`: the HTTP + WebSocket API the JupyterLab panel uses (routes and bodies in types.ts). */
export {
  DEFAULT_REFRESH_SECONDS,
  MIN_REFRESH_SECONDS,
  startBridge,
  type IBridge,
  type IBridgeOptions
} from './bridge.js';
export type { RemoteAccessEnabler } from './spaces.js';
export { readStudioMetadata, type IStudioMetadata } from './studio.js';
export type * from './types.js';
