/**
 * Fuzz harness of the data-channel decoders, shared by
 * `scripts/fuzz-ssm-decoder.mjs` (which runs it against the BUILT module)
 * and the unit test (a small seeded run). It feeds random frames and
 * mutations of valid ones (bit flips, truncations, extensions, length lies,
 * splices, type rewrites) and records every exception that is not the
 * expected protocol error.
 */

/** What the harness exercises. */
export interface IFuzzTarget {
  decodeClientMessage(bytes: Uint8Array, options?: object): unknown;
  decodeSmuxFrames(bytes: Uint8Array): unknown;
  /** An incremental smux parse with arbitrary splits (optional). */
  parseSmuxSplit?(bytes: Uint8Array, splits: number[]): void;
  /** True for the one error class the decoders may throw. */
  isExpectedError(error: unknown): boolean;
}

/** Options of {@link runDecoderFuzz}. */
export interface IFuzzOptions {
  frames: number;
  seed?: number;
  /** Stop after this many failures are recorded. Default 10. */
  maxFailures?: number;
}

/** One unexpected outcome. */
export interface IFuzzFailure {
  kind: 'ssm' | 'smux';
  inputHex: string;
  error: string;
}

/** Outcome of a run. */
export interface IFuzzResult {
  frames: number;
  decoded: number;
  rejected: number;
  failures: IFuzzFailure[];
  ms: number;
  framesPerSecond: number;
}

/** Valid seeds: §9 vectors V1, V3, V2 and the smux frames. */
export const FUZZ_SEEDS_HEX = {
  v1:
    '00000074696e7075745f73747265616d5f6461746120202020202020202020202020202000000001' +
    '0000018bcfe5680000000000000000000000000000000000a508b5f073f31b16dd01e56bff48483e' +
    '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98240000000100000005' +
    '68656c6c6f',
  v3: '00000074696e7075745f73747265616d5f64617461202020202020202020202020202020000000010000018bcfe56800000000000000000500000000000000008695a4b3c2d1e0ff0f1e2d3c4b5a4978433ebf5bc03dffa38536673207a21281612cef5faa9bc7a4d5b9be2fdb12cf1a0000000a0000000400000002',
  smux:
    '0100000003000000' +
    '01020200030000006869' +
    '0101000003000000' +
    '0103000000000000'
} as const;

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  'input_stream_data',
  'output_stream_data',
  'acknowledge',
  'channel_closed',
  'start_publication',
  'pause_publication',
  'agent_session_state',
  'interactive_shell',
  ''
];

/** Runs the fuzzer. */
export function runDecoderFuzz(
  target: IFuzzTarget,
  options: IFuzzOptions
): IFuzzResult {
  const rand = prng(options.seed ?? 1);
  const int = (n: number): number => Math.floor(rand() * n);
  const maxFailures = options.maxFailures ?? 10;
  const seeds = [
    Buffer.from(FUZZ_SEEDS_HEX.v1, 'hex'),
    Buffer.from(FUZZ_SEEDS_HEX.v3, 'hex'),
    v2Seed()
  ];
  const smuxSeed = Buffer.from(FUZZ_SEEDS_HEX.smux, 'hex');
  const modes = [
    undefined,
    { digest: 'report' },
    { digest: 'ignore', allowUnknownTypes: true },
    { ignorePayloadLength: true }
  ];

  const randomBytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      b[i] = int(256);
    }
    return b;
  };

  const mutate = (base: Buffer, pool: Buffer[]): Buffer => {
    let b = Buffer.from(base);
    const rounds = 1 + int(3);
    for (let r = 0; r < rounds; r++) {
      switch (int(9)) {
        case 0: {
          const flips = 1 + int(8);
          for (let i = 0; i < flips && b.length; i++) {
            b[int(b.length)] ^= 1 << int(8);
          }
          break;
        }
        case 1:
          b = b.subarray(0, int(b.length + 1));
          break;
        case 2:
          b = Buffer.concat([b, randomBytes(1 + int(64))]);
          break;
        case 3:
          if (b.length >= 120) {
            const lies = [
              0,
              1,
              115,
              116,
              117,
              0xffffffff,
              b.length,
              int(2 ** 32)
            ];
            b.writeUInt32BE(lies[int(lies.length)] >>> 0, int(2) ? 116 : 0);
          } else if (b.length >= 4) {
            b.writeUInt16LE(int(65536), 2);
          }
          break;
        case 4: {
          const other = pool[int(pool.length)];
          const cut = int(b.length + 1);
          b = Buffer.concat([
            b.subarray(0, cut),
            other.subarray(int(other.length + 1))
          ]);
          break;
        }
        case 5:
          if (b.length >= 36) {
            const type = TYPES[int(TYPES.length)];
            b.fill(int(2) ? 0x20 : 0, 4, 36);
            b.write(type, int(2) ? 4 : 36 - type.length, 'latin1');
          }
          break;
        case 6:
          if (b.length >= 56) {
            b.fill(int(2) ? 0xff : 0, 40 + 8 * int(2), 48 + 8 * int(2));
          }
          break;
        case 7:
          if (b.length > 0) {
            const at = int(b.length);
            b = Buffer.concat([
              b.subarray(0, at),
              b.subarray(at, at + 1 + int(16)),
              b.subarray(at)
            ]);
          }
          break;
        default:
          if (b.length > 0) {
            b[int(b.length)] = int(256);
          }
      }
    }
    return b;
  };

  const failures: IFuzzFailure[] = [];
  let decoded = 0;
  let rejected = 0;
  const start = performance.now();
  for (let i = 0; i < options.frames && failures.length < maxFailures; i++) {
    const smux = i % 4 === 3;
    let input: Buffer;
    if (int(16) === 0) {
      input = randomBytes(int(smux ? 64 : 300));
    } else {
      input = smux
        ? mutate(smuxSeed, [smuxSeed])
        : mutate(seeds[int(seeds.length)], seeds);
    }
    try {
      if (smux) {
        target.decodeSmuxFrames(input);
        if (target.parseSmuxSplit) {
          target.parseSmuxSplit(input, [
            int(input.length + 1),
            int(input.length + 1)
          ]);
        }
      } else {
        target.decodeClientMessage(input, modes[i % modes.length]);
      }
      decoded++;
    } catch (error) {
      if (target.isExpectedError(error)) {
        rejected++;
      } else {
        failures.push({
          kind: smux ? 'smux' : 'ssm',
          inputHex: input.toString('hex'),
          error:
            error instanceof Error
              ? `${error.name}: ${error.message}`
              : String(error)
        });
      }
    }
  }
  const ms = performance.now() - start;
  const frames = decoded + rejected + failures.length;
  return {
    frames,
    decoded,
    rejected,
    failures,
    ms,
    framesPerSecond: ms > 0 ? Math.round((frames * 1000) / ms) : 0
  };
}

function v2Seed(): Buffer {
  // §9 V2 built field by field (the vector gives length, payload and digest).
  const payload = Buffer.from(
    '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}'
  );
  const b = Buffer.alloc(120 + payload.length);
  b.writeUInt32BE(116, 0);
  b.fill(0x20, 4, 36);
  b.write('acknowledge', 4, 'latin1');
  b.writeUInt32BE(1, 36);
  b.write('0000018bcfe56800', 40, 'hex');
  b.writeUInt32BE(3, 60);
  b.write('8695a4b3c2d1e0ff0f1e2d3c4b5a4978', 64, 'hex');
  b.write(
    '713a0a17057de630213f7292907ce38462812ea213a29366f537f68c6ab60e85',
    80,
    'hex'
  );
  b.writeUInt32BE(payload.length, 116);
  payload.copy(b, 120);
  return b;
}
