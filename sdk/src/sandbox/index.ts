/**
 * The local sandbox cloud: AWS-shaped services on loopback, reached through the standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. Used by the tests, the demo and `sm-ssh sandbox`.
 */
export {
  AwsServiceError,
  CALLS_PATH,
  FORWARD,
  startJsonServer,
  type ICallContext,
  type IJsonService,
  type IRunningServer
} from './aws-json-server.js';
export {
  CallCounter,
  type ICallCounts,
  type ICallReport
} from './call-counter.js';
export { freePort, startMoto, type IMotoServer } from './moto.js';
export { SsmFaults, SsmSandboxState, ssmService } from './ssm-service.js';
export * from './instances/index.js';
export * from './sagemaker/index.js';
export * from './logs/index.js';
export * from './spaces/index.js';
export {
  PRESIGN_EXPIRES_SECONDS,
  SessionManager,
  type IRelayOptions,
  type ISessionGrant
} from './sessions.js';
export { JsonUpstream, relay } from './upstream.js';
export {
  SANDBOX_CREDENTIALS,
  sandboxCaller,
  sandboxEnv,
  startSandbox,
  type ISandbox,
  type ISandboxOptions
} from './sandbox.js';
export {
  findMotoServer,
  launchDetached,
  readSandboxState,
  removeSandboxState,
  sandboxStateFile,
  stopSandbox,
  writeSandboxState,
  type ISandboxState
} from './daemon.js';
export { startSshd, type ISshd } from './sshd.js';
