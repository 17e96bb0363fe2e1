import { UsageError } from '../errors.js';
import { assertRegion, parseRegionList, partitionOf } from './regions.js';

describe('regions', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-central-2', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov']
  ])('knows %s (partition %s)', (region, partition) => {
    expect(assertRegion(region)).toBe(partition);
    expect(partitionOf(region)).toBe(partition);
  });

  it.each(['us-est-1', 'us-east-99', 'mars-1', 'US-EAST-1', ''])(
    'refuses "%s" naming the option',
    region => {
      expect(() => assertRegion(region, '--region')).toThrow(UsageError);
      expect(() => assertRegion(region, '--region')).toThrow(
        `--region "${region}" is not an AWS region`
      );
    }
  );

  it('parses and de-duplicates a comma-separated list', () => {
    expect(parseRegionList('us-east-1, eu-west-1,us-east-1')).toEqual([
      'us-east-1',
      'eu-west-1'
    ]);
    expect(() => parseRegionList(' , ')).toThrow('--regions is empty');
    expect(() => parseRegionList('us-east-1,nowhere-1')).toThrow(
      '--regions "nowhere-1" is not an AWS region'
    );
  });
});
