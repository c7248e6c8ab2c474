import type Database from 'better-sqlite3';
import type { TableCount } from './copy-table.js';
import type { SourceFiles } from './source.js';

export interface MigrationReport {
  ok: boolean;
  tables: TableCount[];
  /** Objects read back from the target store; `bad`: keys missing or whose bytes differ. Undefined: bytes not moved. */
  blobs: { checked: number; bad: string[] } | undefined;
  audit: { source: number; target: number; sourceHead: string; targetHead: string } | undefined;
  /** Source tables with rows that have no PostgreSQL home yet (not copied). */
  leftBehind: { file: string; table: string; rows: number }[];
}

/** Tables not copied, with their row counts (the FHIR search index is rebuilt, not copied; SQLite's own tables are skipped). */
export function leftBehind(src: SourceFiles, copied: Set<string>): MigrationReport['leftBehind'] {
  const skip = new Set([...copied, 'schema_migrations', 'params', 'audit_record', 'audit_projection']);
  const out: MigrationReport['leftBehind'] = [];
  const files: [string, Database.Database | undefined][] = [
    ['index.sqlite', src.index],
    ['fhir.sqlite', src.fhir],
    ['audit.sqlite', src.audit],
    ['security.sqlite', src.security],
  ];
  for (const [file, db] of files) {
    if (!db) continue;
    const names = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .pluck()
      .all() as string[];
    for (const table of names) {
      if (skip.has(table) || (file === 'fhir.sqlite' && (table.startsWith('sp_') || table === 'meta'))) continue;
      const rows = (db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }).n;
      if (rows > 0) out.push({ file, table, rows });
    }
  }
  return out;
}

/** The report as text lines: one per table, the objects, the audit chain, what was left behind, the verdict. */
export function reportLines(r: MigrationReport): string[] {
  const lines = r.tables.map(
    (t) =>
      `${t.source === t.target && t.sourceHash === t.targetHash ? 'ok      ' : 'MISMATCH'} ${t.table.padEnd(28)} ${t.source} → ${t.target} rows${t.sourceHash === t.targetHash ? '' : ' (content differs)'}`,
  );
  if (r.blobs)
    lines.push(
      `${r.blobs.bad.length === 0 ? 'ok      ' : 'MISMATCH'} objects                      ${r.blobs.checked} read back, ${r.blobs.bad.length} missing or different${r.blobs.bad.length ? `: ${r.blobs.bad.slice(0, 5).join(', ')}` : ''}`,
    );
  else
    lines.push(
      'kept     objects                      instance bytes stay in the source data directory (no --blob-store)',
    );
  if (r.audit)
    lines.push(
      `${r.audit.source === r.audit.target && r.audit.sourceHead === r.audit.targetHead ? 'ok      ' : 'MISMATCH'} audit chain                  ${r.audit.source} → ${r.audit.target} records, head ${r.audit.targetHead.slice(0, 16)}…`,
    );
  for (const l of r.leftBehind)
    lines.push(`left     ${l.file}:${l.table} (${l.rows} rows): no PostgreSQL home yet, not copied`);
  lines.push(r.ok ? 'migration verified' : 'migration NOT verified: see the MISMATCH lines');
  return lines;
}
