/** Tags of the SageMaker resources the sandbox serves itself (moto keeps the tags of its own). */
import { validation } from './shapes.js';

export interface ITag {
  Key: string;
  Value: string;
}

const MAX_TAGS = 50;

/** Reads a `Tags` member: `[{Key, Value}]`, keys 1–128 characters, values up to 256. */
export function tagsOf(value: unknown): ITag[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw validation('Tags must be a list of {Key, Value}');
  }
  return value.map((tag: unknown) => {
    const { Key, Value } = (tag ?? {}) as Record<string, unknown>;
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128) {
      throw validation(
        `1 validation error detected: Value '${String(Key)}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128`
      );
    }
    const text = Value === undefined || Value === null ? '' : Value;
    if (typeof text !== 'string' || text.length > 256) {
      throw validation(
        "1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"
      );
    }
    return { Key, Value: text };
  });
}

/** Tags by resource ARN. */
export class TagStore {
  private readonly tags = new Map<string, Map<string, string>>();

  list(arn: string): ITag[] {
    return [...(this.tags.get(arn) ?? new Map<string, string>())].map(
      ([Key, Value]) => ({ Key, Value })
    );
  }

  add(arn: string, tags: ITag[]): ITag[] {
    const current = new Map(this.tags.get(arn));
    tags.forEach(tag => current.set(tag.Key, tag.Value));
    if (current.size > MAX_TAGS) {
      throw validation(
        `Tag limit exceeded: a resource can have at most ${MAX_TAGS} tags`
      );
    }
    this.tags.set(arn, current);
    return this.list(arn);
  }

  remove(arn: string, keys: string[]): void {
    keys.forEach(key => this.tags.get(arn)?.delete(key));
  }

  forget(arn: string): void {
    this.tags.delete(arn);
  }
}
