/** The sandbox's CloudWatch Logs front: Logs Insights evaluated over the log events moto keeps. */
export {
  LogsFront,
  type ILogsFrontOptions,
  type QueryStatus
} from './insights.js';
export {
  evaluate,
  formatTimestamp,
  type IEvaluation,
  type ILogEvent,
  type IResultField
} from './query-eval.js';
export {
  MAX_LIMIT,
  malformed,
  parseQuery,
  type Command,
  type Expression,
  type IProjection
} from './query-parser.js';
