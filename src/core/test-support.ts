import { expect } from 'vitest';
import { ConfigError } from './errors.js';

/** The message of the ConfigError `fn` throws (the test fails if it throws nothing or something else). */
export function configErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}
