/**
 * Lookups in plain-object tables keyed by request or external data: only the table's own
 * members count, never inherited ones (`constructor`, `toString`, `__proto__`, or whatever a
 * polluted Object.prototype would carry).
 */
export function own<V>(table: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
