/**
 * What a bridge store method returns: the value itself (SQLite, synchronous) or a promise of it
 * (PostgreSQL). Code written for every backend awaits it; code holding the SQLite class keeps
 * its synchronous answers.
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * `next` after `value`, staying synchronous when `value` is not a promise: a journal op over
 * the SQLite stores must finish inside the synchronous transaction that runs it (an `await`
 * would move the rest past its COMMIT).
 */
export function andThen<T, U>(value: Awaitable<T>, next: (v: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
