/**
 * The IAM/SSM setup of the guide: the documents, the checker, apply/remove, the activation tier, and the offline
 * IAM evaluator behind the checker.
 */
export * from './arn.js';
export * from './documents.js';
export * from './types.js';
export {
  checkSetup,
  checkTargets,
  resolveTargets,
  type CheckStatus,
  type ICheckItem,
  type ICheckOptions,
  type ICheckReport,
  type IResolvedTargets,
  type ISetupTargets
} from './checker.js';
export {
  chooseDecider,
  IamSimulatorDecider,
  LocalDecider,
  type EvaluatorChoice,
  type IPermissionDecider
} from './deciders.js';
export { readRole, parsePolicyDocument, type ILiveRole } from './live-role.js';
export {
  clientRequirements,
  remoteAccessRequirements,
  serverRequirements,
  trustRequirements,
  userIdOf,
  type IPermissionProbe,
  type IRemoteAccessScope,
  type IRequirement
} from './requirements.js';
export {
  applySetup,
  removeSetup,
  SETUP_TAG_KEY,
  type IApplyOptions,
  type IApplyResult,
  type IRemoveOptions,
  type IRemoveResult,
  type ISetupChange
} from './setup.js';
export {
  advancedTierCommand,
  getActivationTier,
  resetActivationTier,
  setAdvancedTier
} from './tier.js';
export { lineDiff } from './diff.js';
export * as evaluator from './evaluator/index.js';
