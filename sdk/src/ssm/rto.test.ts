import { RtoEstimator } from './rto.js';

describe('RtoEstimator', () => {
  it('starts at SRTT 100 ms, RTTVAR 0, RTO 200 ms', () => {
    const e = new RtoEstimator();
    expect(e.snapshot()).toEqual({
      srtt: 100,
      rttvar: 0,
      rto: 200,
      samples: 0
    });
  });

  it('follows the hand-computed sequence for two 50 ms samples', () => {
    const e = new RtoEstimator();
    // RTTVAR = 0.75*0 + 0.25*|100-50| = 12.5; SRTT = 87.5 + 6.25 = 93.75
    expect(e.sample(50)).toBeCloseTo(143.75, 10); // 93.75 + 4*12.5
    expect(e.rttvar).toBeCloseTo(12.5, 10);
    // RTTVAR = 9.375 + 0.25*43.75 = 20.3125; SRTT = 82.03125 + 6.25 = 88.28125
    expect(e.sample(50)).toBeCloseTo(169.53125, 10); // 88.28125 + 81.25
    expect(e.srtt).toBeCloseTo(88.28125, 10);
  });

  it('uses the 10 ms granularity floor when the variance is small', () => {
    const e = new RtoEstimator();
    expect(e.sample(100)).toBe(110);
    expect(e.sample(100)).toBe(110);
  });

  it('caps the RTO at 1 s', () => {
    const e = new RtoEstimator();
    // RTTVAR 1225, SRTT 712.5 → 712.5 + 4900 capped
    expect(e.sample(5000)).toBe(1000);
    expect(e.srtt).toBe(712.5);
  });

  it('converges towards a steady RTT and treats negative samples as 0', () => {
    const e = new RtoEstimator();
    for (let i = 0; i < 200; i++) {
      e.sample(1);
    }
    expect(e.srtt).toBeCloseTo(1, 5);
    expect(e.rto).toBeCloseTo(11, 3);
    const f = new RtoEstimator();
    f.sample(-5);
    expect(f.srtt).toBe(87.5);
  });
});
