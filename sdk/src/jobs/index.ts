/** Launching SageMaker jobs with SSH (training, processing) and models with SSH (endpoints, batch transform). */
export * from './types.js';
export {
  BUNDLE_PATH,
  DEFAULT_SSH_NODES,
  DEFAULT_WAIT_SECONDS,
  JOB_LIMITS,
  jobKindOf,
  MAX_WAIT_SECONDS,
  withSsh
} from './wrap.js';
export {
  bundleUpload,
  INIT_SCRIPT,
  JOB_RELEASE_COMMAND,
  JOB_SCRIPT,
  JOB_STATE_DIR,
  jobBundle,
  parseS3Uri,
  remoteFile,
  remoteFilePath,
  type IJobBundle,
  type IS3Location,
  type RemoteFile
} from './bundle.js';
export { INFERENCE_SHIM, MODEL_ENV, withSshModel } from './model.js';
export {
  DEFAULT_BUNDLE_PREFIX,
  defaultBucket,
  requestKind,
  startJobWithSsh,
  uploadBundle,
  wrapJobRequest,
  type IJobWrapOptions,
  type IStartJobOptions,
  type IUploadOptions,
  type SshJobRequest
} from './launch.js';
export {
  releaseJob,
  releaseResultOf,
  type IReleaseOptions
} from './release.js';
export {
  JOB_LOG_GROUPS,
  jobKey,
  jobSshSettings,
  jobSshStates,
  markerQuery,
  parseMarker,
  phaseFromMarkers,
  type IJobStateOptions,
  type IListedJob,
  type IMarkerLine
} from './state.js';
