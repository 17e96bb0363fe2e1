/** Target names: `<name>.<kind>.sagemaker`, the Studio and space forms, managed instance ids, SageMaker ARNs. */
export {
  arnFragment,
  formatTarget,
  KIND_RESOURCE,
  NAME_SUFFIX,
  parseTarget,
  TARGET_KINDS,
  type IInstanceTarget,
  type IResourceTarget,
  type Target,
  type TargetKind
} from './grammar.js';
