/**
 * `sagemaker-ssh`: SSH into SageMaker jobs, endpoints, notebook instances and Studio apps through AWS Systems
 * Manager, and into Studio spaces through SageMaker remote access, from Node. The CLI `sm-ssh` is a thin layer over
 * these functions.
 *
 * @packageDocumentation
 */
export { OperationError, SmSshError, UsageError } from './errors.js';
export * from './aws/index.js';
export * from './names/index.js';
export * from './resolve/index.js';
export * from './policies/index.js';
export * from './sandbox/index.js';
export * as ssm from './ssm/index.js';
export { openStream, type IOpenStreamOptions } from './ssm/index.js';
export * from './ssh/index.js';
export * from './spaces/index.js';
export * from './jobs/index.js';
export * from './remote/index.js';
export * from './bridge/index.js';
