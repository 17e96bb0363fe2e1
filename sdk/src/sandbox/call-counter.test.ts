/** The call counter alone: keys, totals, a sorted snapshot that later calls do not change, reset. */
import { CallCounter } from './call-counter.js';

describe('CallCounter', () => {
  it('counts per Service.Operation, sorted, with a total', () => {
    const counter = new CallCounter();
    counter.count('SSM', 'ListTagsForResource');
    counter.count('STS', 'GetCallerIdentity');
    counter.count('SSM', 'ListTagsForResource');
    counter.count('SSM', 'DescribeInstanceInformation');
    const snapshot = counter.snapshot();
    expect(Object.entries(snapshot)).toEqual([
      ['SSM.DescribeInstanceInformation', 1],
      ['SSM.ListTagsForResource', 2],
      ['STS.GetCallerIdentity', 1]
    ]);
    expect(counter.total).toBe(4);
    counter.count('SSM', 'SendCommand');
    expect(snapshot).not.toHaveProperty('SSM.SendCommand');
    expect(counter.report()).toEqual({
      total: 5,
      calls: { ...snapshot, 'SSM.SendCommand': 1 }
    });
  });

  it('starts from zero after reset', () => {
    const counter = new CallCounter();
    counter.count('IAM', 'GetRole');
    counter.reset();
    expect(counter.total).toBe(0);
    expect(counter.snapshot()).toEqual({});
    counter.count('IAM', 'GetRole');
    expect(counter.snapshot()).toEqual({ 'IAM.GetRole': 1 });
  });
});
