import { SsmProtocolError } from './errors.js';
import { runDecoderFuzz, type IFuzzTarget } from './fuzz.js';
import { decodeClientMessage } from './message.js';
import { SmuxFrameParser, decodeSmuxFrames } from './smux.js';

const target: IFuzzTarget = {
  decodeClientMessage: (bytes, options) => decodeClientMessage(bytes, options),
  decodeSmuxFrames,
  parseSmuxSplit(bytes, splits) {
    const p = new SmuxFrameParser({
      frame: () => undefined,
      data: () => undefined
    });
    const [a, b] = [Math.min(...splits), Math.max(...splits)];
    p.push(bytes.subarray(0, a));
    p.push(bytes.subarray(a, b));
    p.push(bytes.subarray(b));
  },
  isExpectedError: e => e instanceof SsmProtocolError
};

describe('decoder fuzz (seeded, small)', () => {
  it('20,000 random and mutated frames only ever raise SsmProtocolError', () => {
    const result = runDecoderFuzz(target, { frames: 20000, seed: 42 });
    expect(result.failures).toEqual([]);
    expect(result.frames).toBe(20000);
    // the mutations must exercise both outcomes
    expect(result.decoded).toBeGreaterThan(500);
    expect(result.rejected).toBeGreaterThan(5000);
  });

  it('catches a decoder that throws something else', () => {
    const broken: IFuzzTarget = {
      ...target,
      decodeClientMessage: bytes => {
        if (bytes.length < 120) {
          throw new RangeError('out of bounds');
        }
        return decodeClientMessage(bytes);
      }
    };
    const result = runDecoderFuzz(broken, {
      frames: 2000,
      seed: 1,
      maxFailures: 3
    });
    expect(result.failures.length).toBe(3);
    expect(result.failures[0].error).toContain('RangeError');
  });
});
