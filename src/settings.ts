/** The settings of `schema/plugin.json` read into `ISmSshSettings`, tolerating missing or mistyped values. */
import type { ISmSshSettings } from './tokens';

export const DEFAULT_SETTINGS: Readonly<ISmSshSettings> = {
  region: '',
  profile: '',
  defaultUser: '',
  extraForwards: [],
  refreshInterval: 30,
  showOtherUsers: false
};

/** The lowest refresh interval the schema allows, in seconds. */
export const MIN_REFRESH_INTERVAL = 5;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

/** The settings from the registry's composite (or any partial object). */
export function readSettings(
  composite: Readonly<Record<string, unknown>> | null | undefined
): ISmSshSettings {
  const source = composite ?? {};
  const interval = source.refreshInterval;
  const forwards = source.extraForwards;
  return {
    region: text(source.region, DEFAULT_SETTINGS.region),
    profile: text(source.profile, DEFAULT_SETTINGS.profile),
    defaultUser: text(source.defaultUser, DEFAULT_SETTINGS.defaultUser),
    extraForwards: Array.isArray(forwards)
      ? forwards
          .filter((spec): spec is string => typeof spec === 'string')
          .map(spec => spec.trim())
          .filter(spec => spec !== '')
      : [...DEFAULT_SETTINGS.extraForwards],
    refreshInterval:
      typeof interval === 'number' && Number.isFinite(interval)
        ? Math.max(MIN_REFRESH_INTERVAL, Math.round(interval))
        : DEFAULT_SETTINGS.refreshInterval,
    showOtherUsers:
      typeof source.showOtherUsers === 'boolean'
        ? source.showOtherUsers
        : DEFAULT_SETTINGS.showOtherUsers
  };
}
