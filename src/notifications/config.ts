import { ConfigError } from '../core/errors.js';
import { isObject } from '../fhir/types.js';

/** The `notifications` section of the config file: FHIR Subscription delivery. */
export interface NotificationsConfig {
  /**
   * URL prefixes a rest-hook endpoint must start with (scheme, host and port exact, path a
   * prefix at a `/` boundary). Empty: no rest-hook Subscription is accepted.
   */
  restHookAllowList: string[];
  /** Retries after the first attempt of a rest-hook delivery. */
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Per delivery attempt. */
  timeoutMs: number;
}

export const NOTIFICATIONS_DEFAULTS: NotificationsConfig = {
  restHookAllowList: [],
  retries: 3,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 60_000,
  timeoutMs: 10_000,
};

const NUMBERS: Record<'retries' | 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'timeoutMs', [number, number]> = {
  retries: [0, 20],
  retryBaseDelayMs: [1, 600_000],
  retryMaxDelayMs: [1, 3_600_000],
  timeoutMs: [1, 600_000],
};

export function parseNotificationsConfig(section: unknown): NotificationsConfig {
  if (section === undefined) return NOTIFICATIONS_DEFAULTS;
  if (!isObject(section)) throw new ConfigError('config "notifications" must be an object');
  const out: NotificationsConfig = { ...NOTIFICATIONS_DEFAULTS };
  for (const [key, value] of Object.entries(section)) {
    if (key === 'restHookAllowList') {
      if (!Array.isArray(value))
        throw new ConfigError('config "notifications.restHookAllowList" must be a list of URL prefixes');
      out.restHookAllowList = value.map((v, i) => {
        let url: URL;
        try {
          url = new URL(String(v));
        } catch {
          throw new ConfigError(`config "notifications.restHookAllowList[${i}]" is not a URL`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw new ConfigError(`config "notifications.restHookAllowList[${i}]" must be http or https`);
        if (url.username || url.password || url.search || url.hash)
          throw new ConfigError(
            `config "notifications.restHookAllowList[${i}]" must not carry credentials, a query or a fragment`,
          );
        return url.href;
      });
    } else if (Object.hasOwn(NUMBERS, key)) {
      const [min, max] = NUMBERS[key as keyof typeof NUMBERS];
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
        throw new ConfigError(`config "notifications.${key}" must be an integer from ${min} to ${max}`);
      out[key as keyof typeof NUMBERS] = value as number;
    } else {
      throw new ConfigError(
        `config "notifications.${key}" is not known (known: restHookAllowList, ${Object.keys(NUMBERS).join(', ')})`,
      );
    }
  }
  if (out.retryBaseDelayMs > out.retryMaxDelayMs)
    throw new ConfigError('config "notifications.retryBaseDelayMs" is larger than retryMaxDelayMs');
  return out;
}

/** Whether a rest-hook endpoint is covered by an allow-list entry (no lookalike hosts, no `..`). */
export function allowedEndpoint(endpoint: string, allowList: string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowList.some((entry) => {
    const allowed = new URL(entry);
    if (allowed.protocol !== url.protocol || allowed.host !== url.host) return false;
    const prefix = allowed.pathname;
    return url.pathname === prefix || url.pathname.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
  });
}
