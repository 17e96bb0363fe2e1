/** Studio spaces through SageMaker remote access: what a space is, whether it can be reached, and how. */
export {
  describeSpace,
  remoteAccessProblem,
  spaceAddress,
  spaceInfo,
  spaceTargetName
} from './describe.js';
export {
  REMOTE_ACCESS_APP_TYPES,
  SPACE_HOME,
  SPACE_USER,
  type IResolvedSpace,
  type ISpaceInfo,
  type TargetVia
} from './types.js';
