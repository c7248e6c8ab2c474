/**
 * What a bridge store method returns: the value itself (SQLite, synchronous) or a promise of it
 * (PostgreSQL). Code written for every backend awaits it; code holding the SQLite class keeps
 * its synchronous answers.
 */
export type Awaitable<T> = T | Promise<T>;
