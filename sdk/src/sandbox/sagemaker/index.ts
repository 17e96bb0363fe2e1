/**
 * The sandbox's SageMaker front: jobs that stay InProgress until stopped or finished, Studio user profiles,
 * spaces and apps, and their tags; everything else is moto's.
 */
export { Clock, type ISageMakerTimings } from './clock.js';
export { SageMakerFront, type ISageMakerFrontOptions } from './front.js';
export {
  JOB_KINDS,
  JOB_STATUSES,
  JobStore,
  RUNNING_PHASES,
  type JobKind,
  type JobOutcome,
  type JobStatus,
  type RunningPhase
} from './jobs.js';
export { listPage, type IListFacts, type IListRules } from './listing.js';
export {
  parseSageMakerArn,
  sageMakerArn,
  type IScope as ISageMakerScope
} from './shapes.js';
export {
  APP_TYPES,
  StudioStore,
  type AppStatus,
  type AppType,
  type OwnerStatus
} from './studio.js';
export { TagStore, tagsOf, type ITag } from './tags.js';
