export {
  AwsClients,
  createAwsClients,
  resolveRegion,
  type IAwsOptions
} from './clients.js';
export { assertRegion, parseRegionList, partitionOf } from './regions.js';
export { describeAwsError, errorName } from './errors.js';
