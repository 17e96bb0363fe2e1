#!/usr/bin/env node
/**
 * Fuzzes the BUILT Session Manager decoders (dist/ssm): random frames and
 * mutations of the §9 vectors (V1, V2, V3) and smux frames — bit flips,
 * truncations, extensions, length lies, splices — asserting that the only
 * exception ever thrown is SsmProtocolError. Prints frames/s.
 *
 * Build first: npx tsc -p tsconfig.build.json
 * Usage: node scripts/fuzz-ssm-decoder.mjs [frames=1000000] [seed=1]
 */
import {
  SmuxFrameParser,
  SsmProtocolError,
  decodeClientMessage,
  decodeSmuxFrames
} from '../dist/ssm/index.js';
import { runDecoderFuzz } from '../dist/ssm/fuzz.js';

const frames = Number.parseInt(process.argv[2] ?? '1000000', 10);
const seed = Number.parseInt(process.argv[3] ?? '1', 10);
if (
  !Number.isSafeInteger(frames) ||
  frames < 1 ||
  !Number.isSafeInteger(seed)
) {
  console.error('usage: fuzz-ssm-decoder.mjs [frames] [seed]');
  process.exit(2);
}

const result = runDecoderFuzz(
  {
    decodeClientMessage: (bytes, options) =>
      decodeClientMessage(bytes, options),
    decodeSmuxFrames,
    parseSmuxSplit(bytes, splits) {
      const parser = new SmuxFrameParser({ frame() {}, data() {} });
      const a = Math.min(...splits);
      const b = Math.max(...splits);
      parser.push(bytes.subarray(0, a));
      parser.push(bytes.subarray(a, b));
      parser.push(bytes.subarray(b));
    },
    isExpectedError: error => error instanceof SsmProtocolError
  },
  { frames, seed }
);

console.log(
  `${result.frames} frames (seed ${seed}): ${result.decoded} decoded, ` +
    `${result.rejected} rejected with SsmProtocolError, ` +
    `${result.failures.length} failures; ${Math.round(result.ms)} ms, ` +
    `${result.framesPerSecond} frames/s`
);
for (const failure of result.failures) {
  console.error(
    `FAIL ${failure.kind}: ${failure.error}\n  input ${failure.inputHex}`
  );
}
process.exit(result.failures.length ? 1 : 0);
