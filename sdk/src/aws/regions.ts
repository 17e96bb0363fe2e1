import { coreClientSdk } from './sdk.js';

const partitionOfRegion = (region: string): unknown =>
  coreClientSdk().partition(region);
import { UsageError } from '../errors.js';

/**
 * Checks a region code against the partition data the AWS SDK ships, so a typo like `us-est-1` is refused before
 * any call instead of surfacing later as a DNS failure. Returns the partition the region belongs to.
 */
export function assertRegion(region: string, option = '--region'): string {
  const info = partitionOfRegion(region) as {
    name: string;
    description?: string;
  };
  if (info.description === undefined) {
    throw new UsageError(
      `${option} "${region}" is not an AWS region`,
      'use a region code such as us-east-1, eu-west-1 or cn-north-1'
    );
  }
  return info.name;
}

/** The partition (`aws`, `aws-cn`, `aws-us-gov`, …) a region belongs to. */
export function partitionOf(region: string): string {
  return (partitionOfRegion(region) as { name: string }).name;
}

/** Parses `r1,r2` into a de-duplicated list of checked regions. */
export function parseRegionList(text: string, option = '--regions'): string[] {
  const regions = [
    ...new Set(
      text
        .split(',')
        .map(region => region.trim())
        .filter(region => region.length > 0)
    )
  ];
  if (regions.length === 0) {
    throw new UsageError(
      `${option} is empty`,
      `pass one or more regions separated by commas, e.g. ${option} us-east-1,eu-west-1`
    );
  }
  regions.forEach(region => assertRegion(region, option));
  return regions;
}
