/**
 * A small JSON file of records keyed by id, each stamped with when it was written: what sm-ssh remembers between
 * runs (deliveries, callers). Records older than 30 days are dropped on write; a damaged file is an empty one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writePrivateFile } from './paths.js';

const KEEP_MS = 30 * 24 * 3600 * 1000;

export class JsonRecords<T extends object> {
  private constructor(
    readonly path: string,
    private records: Record<string, T & { at: string }>
  ) {}

  static load<T extends object>(path: string): JsonRecords<T> {
    let records: Record<string, T & { at: string }> = {};
    if (existsSync(path)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          records = parsed as typeof records;
        }
      } catch {
        // a damaged file only costs what the records would have saved
      }
    }
    return new JsonRecords<T>(path, records);
  }

  get(id: string): T | undefined {
    return this.records[id];
  }

  set(id: string, record: T): void {
    this.records[id] = { ...record, at: new Date().toISOString() };
    this.save();
  }

  delete(id: string): void {
    if (id in this.records) {
      delete this.records[id];
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
    writePrivateFile(this.path, `${JSON.stringify(kept, null, 2)}\n`);
  }
}
