/** SHA-256 and HMAC-SHA-256 from node:crypto in the shape `@smithy/signature-v4` expects (`sha256` option). */
import { createHash, createHmac } from 'node:crypto';

function toBytes(
  data: string | ArrayBuffer | ArrayBufferView
): string | Buffer {
  if (typeof data === 'string') {
    return data;
  }
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}

export class NodeSha256 {
  private readonly hash:
    ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', toBytes(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}
