/**
 * The sandbox's SageMaker front: jobs (run for real when they say what to run, else InProgress until stopped or
 * finished), Studio user profiles, spaces and apps, and their tags; everything else is moto's.
 */
export { Clock, type ISageMakerTimings } from './clock.js';
export {
  SageMakerFront,
  type IRemoteAccessGrant,
  type ISageMakerFrontOptions
} from './front.js';
export {
  JOB_KINDS,
  JOB_STATUSES,
  JobStore,
  RUNNING_PHASES,
  containerCommand,
  type IJobExecutor,
  type IJobLaunch,
  type RunnableKind,
  type JobKind,
  type JobOutcome,
  type JobStatus,
  type RunningPhase
} from './jobs.js';
export { createDemoRole, DEMO_ROLE } from './demo-resources.js';
export {
  JobRun,
  JobRunner,
  type IJobNodeRun,
  type IJobRunEnd,
  type IJobRunnerOptions
} from './job-runner.js';
export { defaultJobTools, type IJobTools } from './job-env.js';
export { listPage, type IListFacts, type IListRules } from './listing.js';
export {
  parseSageMakerArn,
  sageMakerArn,
  type IScope as ISageMakerScope
} from './shapes.js';
export {
  APP_TYPES,
  REMOTE_ACCESS_VALUES,
  StudioStore,
  USER_PROFILE_ARN_TAG,
  type IRemoteAccessSpace,
  type ISpaceAddress,
  type AppStatus,
  type AppType,
  type OwnerStatus
} from './studio.js';
export { TagStore, tagsOf, type ITag } from './tags.js';
