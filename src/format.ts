/** Small formatting helpers of the views: byte counts and the tone of a status badge. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 0 B, 1023 B, 1.0 KiB, 12.3 MiB … */
export function humanizeBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} ${UNITS[0]}`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

export type StatusTone = 'good' | 'warn' | 'error' | 'neutral';

const GOOD = new Set([
  'inprogress',
  'inservice',
  'online',
  'running',
  'up',
  'ok'
]);
const WARN = new Set([
  'warning',
  'stopping',
  'pending',
  'starting',
  'creating',
  'updating',
  'connectionlost',
  'inactive',
  'coming'
]);
const ERROR = new Set([
  'failed',
  'stopped',
  'deleting',
  'deleted',
  'ended',
  'missing',
  'notfound'
]);

/** The badge colour of a SageMaker/SSM status word, a tunnel state or a check status (compared without case). */
export function statusTone(status: string): StatusTone {
  const word = status.toLowerCase().replace(/[\s_-]/g, '');
  if (GOOD.has(word)) {
    return 'good';
  }
  if (ERROR.has(word)) {
    return 'error';
  }
  if (WARN.has(word)) {
    return 'warn';
  }
  return 'neutral';
}
