/** The sandbox's managed instances: control plane (registry), per-instance hosts, Run Command, the demo fleet. */
export {
  createDemoFleet,
  DEMO_SPACES,
  type DemoKind,
  type IDemoFleet,
  type IDemoFleetOptions,
  type IDemoInstance
} from './demo.js';
export type {
  IDemoResources,
  IDemoSpace
} from '../sagemaker/demo-resources.js';
export {
  AgentMessages,
  EC2_MESSAGES_PREFIX,
  type IAgentMessagesOptions
} from './agent-messages.js';
export {
  SandboxContainer,
  type IContainerExit,
  type IContainerOptions
} from './container.js';
export { shellQuote } from '../../shell.js';
export {
  instanceFilter,
  paginate,
  pageSize,
  type IInstanceFacts,
  type IPage,
  type IPageLimits,
  type PingStatus
} from './filters.js';
export {
  InstanceHost,
  processesUsing,
  type IHostKey,
  type IInstanceHostOptions
} from './host.js';
export {
  type IRunningScript,
  type IRunOptions,
  type IRunResult,
  type IScriptRunner
} from './script-run.js';
export {
  AGENT_VERSION,
  InstanceRegistry,
  type IActivation,
  type IAgentLink,
  type IInstanceRegistryOptions,
  type ILaunchOptions,
  type IManagedInstance,
  type IRegisterOptions,
  type IScope,
  type ITargetEndpoint
} from './registry.js';
export {
  MAX_PLUGIN_OUTPUT,
  MAX_STDERR,
  MAX_STDOUT,
  RUN_SHELL_SCRIPT,
  type ICommand,
  type IInvocation,
  type InvocationStatus
} from './run-command.js';
