/** SageMaker remote access to Studio spaces in the sandbox: the spaces' roots and their per-session SSH servers. */
export {
  SpaceRemoteAccess,
  type ISpaceRemoteAccessOptions
} from './remote-access.js';
export { SpaceRoot } from './space-root.js';
export { SPACE_SSH_IDENT, SpaceSshServer } from './ssh-server.js';
