import type { ContextValue } from './model.js';

/** What a context key holds in a request: nothing, or its values as strings. */
export interface IContextEntry {
  present: boolean;
  /** The key's values; a single-valued key has one. */
  values: string[];
  /** Whether the request gave the key as a list (a multivalued key). */
  multivalued: boolean;
}

const ABSENT: IContextEntry = {
  present: false,
  values: [],
  multivalued: false
};

/** Request context keys looked up case-insensitively, as IAM does with condition key names. */
export class ContextLookup {
  private readonly entries = new Map<string, ContextValue>();

  constructor(context: Record<string, ContextValue> | undefined) {
    for (const [key, value] of Object.entries(context ?? {})) {
      if (value !== undefined && value !== null) {
        this.entries.set(key.toLowerCase(), value);
      }
    }
  }

  get(key: string): IContextEntry {
    const value = this.entries.get(key.toLowerCase());
    if (value === undefined) {
      return ABSENT;
    }
    if (Array.isArray(value)) {
      return { present: true, values: value.map(String), multivalued: true };
    }
    return { present: true, values: [String(value)], multivalued: false };
  }

  /** The value a policy variable `${key}` stands for; multivalued keys cannot be policy variables. */
  variable(key: string): string | undefined {
    const entry = this.get(key);
    return entry.present && !entry.multivalued ? entry.values[0] : undefined;
  }
}
