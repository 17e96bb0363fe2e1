/** Studio spaces through SageMaker remote access: what a space is, whether it can be reached, and how. */
export {
  describeSpace,
  remoteAccessProblem,
  spaceAddress,
  spaceInfo,
  spaceTargetName
} from './describe.js';
export {
  DEFAULT_BANNER_TIMEOUT_MS,
  findBanner,
  waitForBanner
} from './banner.js';
export {
  enableRemoteAccess,
  ENABLE_TIMEOUT_MS,
  isTooSmall,
  planEnable,
  TOO_SMALL_INSTANCE_TYPES,
  type IEnableOptions,
  type IEnablePlan
} from './enable.js';
export {
  listSpaceTargets,
  spaceArn,
  spaceSummary,
  type IListSpacesOptions
} from './list.js';
export {
  hostKeyNote,
  openSpaceSsh,
  spaceEnvironment,
  type IOpenSpaceOptions
} from './connect.js';
export {
  resolveConnectTarget,
  resolveSpace,
  type ISpaceResolveOptions
} from './resolve.js';
export {
  DEFAULT_START_TIMEOUT_MS,
  startSessionProblem,
  startSpaceGrant,
  startSpaceSession,
  type ISpaceSessionGrant,
  type ISpaceSessionOptions
} from './session.js';
export {
  REMOTE_ACCESS_APP_TYPES,
  SPACE_HOME,
  SPACE_USER,
  type IResolvedSpace,
  type ISpaceInfo,
  type TargetVia
} from './types.js';
