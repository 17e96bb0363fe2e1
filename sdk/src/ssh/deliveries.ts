/**
 * Which key this machine delivered to which instance, so that connecting again to the same instance with the
 * same key skips the Run Command round trip (two or more AWS calls and a second or two). If the record is stale
 * (the key was replaced from elsewhere), authentication fails and the caller delivers again.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureConfigDir } from './paths.js';

type Records = Record<string, { fingerprint: string; at: string }>;

/** Records older than this are dropped when the file is written (instances of finished jobs). */
const KEEP_MS = 30 * 24 * 3600 * 1000;

export class Deliveries {
  private constructor(
    readonly path: string,
    private records: Records
  ) {}

  static load(path: string): Deliveries {
    let records: Records = {};
    if (existsSync(path)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          records = parsed as Records;
        }
      } catch {
        // a damaged record only costs one more delivery
      }
    }
    return new Deliveries(path, records);
  }

  has(instanceId: string, fingerprint: string): boolean {
    return this.records[instanceId]?.fingerprint === fingerprint;
  }

  record(instanceId: string, fingerprint: string): void {
    this.records[instanceId] = { fingerprint, at: new Date().toISOString() };
    this.save();
  }

  forget(instanceId: string): void {
    if (instanceId in this.records) {
      delete this.records[instanceId];
      this.save();
    }
  }

  private save(): void {
    const cutoff = Date.now() - KEEP_MS;
    const kept = Object.fromEntries(
      Object.entries(this.records).filter(
        ([, record]) => Date.parse(record.at) > cutoff
      )
    );
    ensureConfigDir(dirname(this.path));
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(kept, null, 2)}\n`, {
      mode: 0o600
    });
    renameSync(temporary, this.path);
  }
}
