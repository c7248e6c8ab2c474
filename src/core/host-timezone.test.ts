import { describe, expect, it } from 'vitest';
import { zoneFromEnvironment } from './host-timezone.js';

describe('zoneFromEnvironment', () => {
  it('takes TZ first, with or without its leading colon', () => {
    expect(zoneFromEnvironment('Europe/Berlin', '/usr/share/zoneinfo/Etc/UTC')).toBe('Europe/Berlin');
    expect(zoneFromEnvironment(':America/New_York', undefined)).toBe('America/New_York');
  });

  it('reads the zone from the /etc/localtime link when TZ is not set', () => {
    expect(zoneFromEnvironment(undefined, '/usr/share/zoneinfo/Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(zoneFromEnvironment('', '../usr/share/zoneinfo/posix/Europe/Paris')).toBe('Europe/Paris');
    expect(zoneFromEnvironment(undefined, '/usr/share/zoneinfo/America/Argentina/Buenos_Aires')).toBe(
      'America/Argentina/Buenos_Aires',
    );
  });

  it('names the UTC aliases UTC, as Intl does', () => {
    expect(zoneFromEnvironment(undefined, '/usr/share/zoneinfo/Etc/UTC')).toBe('UTC');
    expect(zoneFromEnvironment('Etc/Universal', undefined)).toBe('UTC');
  });

  it('leaves to Intl what names no zone: POSIX rules, a missing or foreign link', () => {
    expect(zoneFromEnvironment('CET-1CEST,M3.5.0,M10.5.0/3', undefined)).toBeUndefined();
    expect(zoneFromEnvironment('/etc/localtime', undefined)).toBeUndefined();
    expect(zoneFromEnvironment(undefined, undefined)).toBeUndefined();
    expect(zoneFromEnvironment(undefined, '/etc/alternatives/localtime')).toBeUndefined();
  });
});
