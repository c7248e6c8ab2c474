import { afterEach, describe, expect, it } from 'vitest';
import { isKnownRuntimeNotice, loadOidcProvider } from './load-oidc-provider.js';

const NOTICE = 'oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.';
const original = console.warn;

describe('loading oidc-provider', () => {
  afterEach(() => {
    console.warn = original;
  });

  it.skipIf(process.versions.node.split('.')[0] !== '20')(
    'drops its Node 20 runtime notice but passes every other warning, and restores console.warn',
    async () => {
      const seen: string[] = [];
      console.warn = (...args: unknown[]) => seen.push(args.join(' '));
      const loading = loadOidcProvider();
      console.warn('another warning while it loads');
      const { default: Provider, errors } = await loading;
      console.warn('after it loaded');
      expect(typeof Provider).toBe('function');
      expect(typeof errors.InvalidScope).toBe('function');
      expect(seen).toEqual(['another warning while it loads', 'after it loaded']);
    },
  );

  it('recognises only that exact notice, plain or coloured, and only on Node 20', () => {
    expect(isKnownRuntimeNotice([NOTICE], '20.20.2')).toBe(true);
    expect(isKnownRuntimeNotice([`\x1b[31;1m${NOTICE}\x1b[0m`], '20.1.0')).toBe(true);
    expect(isKnownRuntimeNotice([NOTICE], '18.20.0')).toBe(false);
    expect(isKnownRuntimeNotice([`${NOTICE} (extra)`], '20.20.2')).toBe(false);
    expect(isKnownRuntimeNotice(['oidc-provider WARNING: something else'], '20.20.2')).toBe(false);
    expect(isKnownRuntimeNotice([NOTICE, 'x'], '20.20.2')).toBe(false);
  });
});
