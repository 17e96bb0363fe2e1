/** Byte counts, status tones, the settings reader. */
import { humanizeBytes, statusTone } from '../format';
import { DEFAULT_SETTINGS, readSettings } from '../settings';

describe('humanizeBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [5 * 1024 * 1024 + 1, '5.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [2 * 1024 ** 5, '2048 TiB'],
    [-1, '–'],
    [Number.NaN, '–']
  ])('%p → %p', (bytes, text) => {
    expect(humanizeBytes(bytes)).toBe(text);
  });
});

describe('statusTone', () => {
  it.each([
    ['InProgress', 'good'],
    ['InService', 'good'],
    ['Online', 'good'],
    ['up', 'good'],
    ['Stopping', 'warn'],
    ['Pending', 'warn'],
    ['ConnectionLost', 'warn'],
    ['starting', 'warn'],
    ['Failed', 'error'],
    ['Stopped', 'error'],
    ['NotFound', 'error'],
    ['failed', 'error'],
    ['OK', 'good'],
    ['WARNING', 'warn'],
    ['MISSING', 'error'],
    ['Completed', 'neutral'],
    ['unknown', 'neutral'],
    ['closed', 'neutral']
  ])('%p is %p', (status, tone) => {
    expect(statusTone(status)).toBe(tone);
  });
});

describe('readSettings', () => {
  it('gives the defaults for nothing', () => {
    expect(readSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('reads each setting, trimming text and dropping bad forwards', () => {
    expect(
      readSettings({
        region: ' eu-west-1 ',
        profile: 'dev',
        defaultUser: 'sagemaker-user',
        extraForwards: ['8888:localhost:8888', '', 3, ' 6006:localhost:6006 '],
        refreshInterval: 12.4,
        showOtherUsers: true
      })
    ).toEqual({
      region: 'eu-west-1',
      profile: 'dev',
      defaultUser: 'sagemaker-user',
      extraForwards: ['8888:localhost:8888', '6006:localhost:6006'],
      refreshInterval: 12,
      showOtherUsers: true
    });
  });

  it('keeps the refresh interval at 5 s or more, and ignores mistyped values', () => {
    expect(readSettings({ refreshInterval: 1 }).refreshInterval).toBe(5);
    expect(readSettings({ refreshInterval: 'often' }).refreshInterval).toBe(30);
    expect(readSettings({ showOtherUsers: 'yes', region: 7 })).toEqual(
      DEFAULT_SETTINGS
    );
  });
});
