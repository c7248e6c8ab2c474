/** Shared by the finding rules of each area. */
import type { Check, Finding } from './types.js';

export type Add = (f: Finding) => void;
export const check = (checks: Check[], name: string) => checks.find((c) => c.name === name);
