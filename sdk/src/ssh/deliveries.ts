/**
 * What this machine remembers to save AWS calls on a reconnect: which key it delivered to which instance (a
 * reconnect with the same key skips the Run Command round trip; if the record is stale, authentication fails and
 * the key is delivered again), and the caller's UserId per access key id (skips GetCallerIdentity).
 */
import type { ICallerCache } from '../resolve/index.js';
import { JsonRecords } from './json-records.js';

export class Deliveries {
  private constructor(
    private readonly records: JsonRecords<{ fingerprint: string }>
  ) {}

  static load(path: string): Deliveries {
    return new Deliveries(JsonRecords.load(path));
  }

  has(instanceId: string, fingerprint: string): boolean {
    return this.records.get(instanceId)?.fingerprint === fingerprint;
  }

  record(instanceId: string, fingerprint: string): void {
    this.records.set(instanceId, { fingerprint });
  }

  forget(instanceId: string): void {
    this.records.delete(instanceId);
  }
}

/** A file-backed {@link ICallerCache}. */
export function callerCache(path: string): ICallerCache {
  const records = JsonRecords.load<{ userId: string }>(path);
  return {
    get: accessKeyId => records.get(accessKeyId)?.userId,
    set: (accessKeyId, userId) => records.set(accessKeyId, { userId })
  };
}
