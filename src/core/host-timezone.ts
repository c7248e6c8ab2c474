import { readlinkSync } from 'node:fs';

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const UTC_ALIASES = /^(Etc\/)?(UTC|UCT|Universal|Zulu|GMT|GMT0|Greenwich)$/;

/**
 * The host's IANA zone from what the C library reads — `TZ` (`Europe/Berlin`, `:Europe/Berlin`) or
 * the `/etc/localtime` link into a zoneinfo folder — or undefined when neither names a zone (a
 * POSIX rule such as `CET-1CEST`, a copied file): then ask Intl. Pure; the caller reads them.
 */
export function zoneFromEnvironment(tz: string | undefined, localtimeLink: string | undefined): string | undefined {
  const fromTz = tz?.replace(/^:/, '');
  const named =
    tz !== undefined && tz !== '' ? fromTz : /\/zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(localtimeLink ?? '')?.[1];
  if (named === undefined || !ZONE_NAME.test(named) || named.startsWith('posix') || named === 'localtime')
    return undefined;
  return UTC_ALIASES.test(named) ? 'UTC' : named;
}

let host: string | undefined;

/**
 * The zone of the machine, read once. Not by `Intl.DateTimeFormat().resolvedOptions()` unless the
 * environment does not name it: the first Intl formatter of a process maps ≈ 5 MB of ICU locale
 * data into its RSS (docs/ingest-memory.md), which a server sent only offset-bearing times never
 * needs. The name may be an alias of Intl's (`US/Eastern`); offsets are the same.
 */
export function hostTimezone(): string {
  if (host === undefined) {
    let link: string | undefined;
    try {
      link = readlinkSync('/etc/localtime');
    } catch {
      link = undefined;
    }
    host = zoneFromEnvironment(process.env.TZ, link) ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  }
  return host;
}
