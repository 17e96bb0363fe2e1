/** The remote side: what a container runs to become an SSH target (`sm-ssh remote init`, sdk/remote/sm-ssh-init.sh). */
export {
  ACTIVATION_DESCRIPTION,
  callerIdentity,
  createActivation,
  deregisterInstance,
  type IRemoteActivation,
  type ICallerIdentity,
  type IDeregistration
} from './activation.js';
export {
  DEFAULT_AGENT,
  REGISTRATION_LINE,
  registerAgent,
  startAgent,
  type IAgentOptions,
  type IRunningAgent
} from './agent.js';
export {
  activationRole,
  initRemote,
  INSTANCE_ID_FILE,
  recordedInstanceId,
  type IRemoteInitOptions,
  type IRemoteInstance,
  type IRemoteRegistration
} from './init.js';
export { detectResource, type IResource } from './resource.js';
export {
  activationTags,
  roleNameFromArn,
  type IActivationTagInput,
  type IActivationTag
} from './tags.js';
