/** Target → SSM managed instance: tag-filtered lookup, the original project's match rules, owner, node, status. */
export {
  describeInstances,
  instancesNamed,
  instanceTags,
  managedInstance,
  SshTag,
  type ITargetInstance
} from './instances.js';
export {
  instanceIdsFromLogs,
  LOG_WINDOW_MS,
  logLocation,
  type ILogLookupOptions
} from './logs.js';
export {
  DEFAULT_RESOLVE_TIMEOUT_MS,
  matchInstances,
  resolveTarget,
  type ICallerCache,
  type IResolvedTarget,
  type IResolveOptions,
  type IResolveProgress
} from './resolve.js';
export {
  resourceStatus,
  type IResourceStatus,
  type ResourcePhase
} from './status.js';
export { listTargets, type IListOptions, type ITargetSummary } from './list.js';
