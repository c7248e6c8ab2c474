import { describe, expect, it } from 'vitest';
import { allowedEndpoint, parseNotificationsConfig } from './config.js';

describe('rest-hook allow-list', () => {
  const list = parseNotificationsConfig({
    restHookAllowList: ['https://ai.example/hooks/', 'http://127.0.0.1:9000/cb'],
  }).restHookAllowList;
  it.each([
    ['https://ai.example/hooks/study', true],
    ['https://ai.example/hooks/', true],
    ['http://127.0.0.1:9000/cb', true],
    ['http://127.0.0.1:9000/cb/x', true],
    ['http://127.0.0.1:9000/cbx', false],
    ['https://ai.example/hooksx', false],
    ['https://ai.example.evil.test/hooks/x', false],
    ['http://ai.example/hooks/x', false],
    ['https://ai.example:444/hooks/x', false],
    ['https://user:pw@ai.example/hooks/x', false],
    // The URL is normalized before comparing: `..` cannot climb out of the allowed path.
    ['https://ai.example/hooks/../admin', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(allowedEndpoint(url, list)).toBe(allowed);
  });

  it('fails fast on a bad config with the key in the message', () => {
    expect(() => parseNotificationsConfig({ restHookAllowList: ['ftp://x'] })).toThrow(/restHookAllowList\[0\]/);
    expect(() => parseNotificationsConfig({ retries: -1 })).toThrow(/notifications.retries/);
    expect(() => parseNotificationsConfig({ colour: 1 })).toThrow(/notifications.colour/);
  });
});
