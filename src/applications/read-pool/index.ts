/** The patient reads on worker threads over the embedded SQLite store (read-pool.ts). */
export { contextAnswer, type ReadAnswer, strokeAnswer } from './answers.js';
export { defaultReadThreads, ReadPool, type ReadPoolOptions } from './read-pool.js';
export { openReadPool, type OpenReadPoolOptions } from './open.js';
export type { ReadWorkerData } from './protocol.js';
