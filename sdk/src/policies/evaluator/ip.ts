/** IpAddress / NotIpAddress: IPv4 and IPv6 addresses against CIDR blocks (RFC 4632, RFC 4291). */

interface IAddress {
  version: 4 | 6;
  value: bigint;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match) {
    return undefined;
  }
  let value = 0n;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > 255) {
      return undefined;
    }
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') {
    return [];
  }
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    // The last group may be a dotted IPv4 address (`::ffff:192.0.2.1`), worth two groups.
    if (index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) {
        return undefined;
      }
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === undefined || tail === undefined) {
    return undefined;
  }
  const missing = 8 - head.length - tail.length;
  if (
    (halves.length === 2 && missing < 1) ||
    (halves.length === 1 && missing !== 0)
  ) {
    return undefined;
  }
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function parseAddress(text: string): IAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) {
    return { version: 4, value: v4 };
  }
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/**
 * Whether `address` lies in `block` (`203.0.113.0/24`, `2001:db8::/32`, or a bare address meaning a single one).
 * `undefined` when either side is not an address of the same IP version.
 */
export function ipInBlock(block: string, address: string): boolean | undefined {
  const [network, prefixText, extra] = block.trim().split('/');
  if (extra !== undefined) {
    return undefined;
  }
  const net = parseAddress(network);
  const addr = parseAddress(address.trim());
  if (net === undefined || addr === undefined || net.version !== addr.version) {
    return undefined;
  }
  const bits = net.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(bits)) || prefix > bits) {
    return undefined;
  }
  const shift = BigInt(bits - prefix);
  return net.value >> shift === addr.value >> shift;
}
