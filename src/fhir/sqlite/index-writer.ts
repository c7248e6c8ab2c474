import type Database from 'better-sqlite3';
import type { SearchParamRegistry } from '../definitions/search-params.js';
import { indexRows } from '../search/index-values.js';
import type { FhirResource } from '../types.js';
import { INDEX_TABLES } from './schema.js';

/** Keeps the sp_* tables equal to the search values of each resource's current version. */
export class IndexWriter {
  /** Param ids by resource type, then code: no key string built per index row (it was measurable). */
  private readonly paramIds = new Map<string, Map<string, number>>();
  private readonly stmts;

  constructor(
    db: Database.Database,
    private readonly registry: SearchParamRegistry,
    private readonly baseUrl: string,
  ) {
    for (const row of db.prepare('SELECT id, type, code FROM params').all() as {
      id: number;
      type: string;
      code: string;
    }[]) {
      this.remember(row.type, row.code, row.id);
    }
    this.stmts = {
      addParam: db.prepare('INSERT INTO params(type, code) VALUES (?, ?)'),
      findParam: db.prepare('SELECT id FROM params WHERE type = ? AND code = ?').pluck(),
      clear: INDEX_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE resource_pk = ?`)),
      token: db.prepare('INSERT INTO sp_token(resource_pk, param, system, code) VALUES (?, ?, ?, ?)'),
      string: db.prepare('INSERT INTO sp_string(resource_pk, param, norm, exact) VALUES (?, ?, ?, ?)'),
      date: db.prepare('INSERT INTO sp_date(resource_pk, param, low, high) VALUES (?, ?, ?, ?)'),
      reference: db.prepare(
        'INSERT INTO sp_reference(resource_pk, param, target_type, target_id, url) VALUES (?, ?, ?, ?, ?)',
      ),
      number: db.prepare(
        'INSERT INTO sp_number(resource_pk, param, value, system, code, unit) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      uri: db.prepare('INSERT INTO sp_uri(resource_pk, param, value) VALUES (?, ?, ?)'),
    };
  }

  /** The numeric id of a (type, code) pair; created on first use, so reads may see none (no rows then). */
  paramId(resourceType: string, code: string, create = false): number | undefined {
    let id = this.paramIds.get(resourceType)?.get(code);
    // Another connection (the audit projection thread) may have created it since this one started.
    if (id === undefined) {
      id = this.stmts.findParam.get(resourceType, code) as number | undefined;
      if (id !== undefined) this.remember(resourceType, code, id);
    }
    if (id === undefined && create) {
      id = Number(this.stmts.addParam.run(resourceType, code).lastInsertRowid);
      this.remember(resourceType, code, id);
    }
    return id;
  }

  private remember(resourceType: string, code: string, id: number): void {
    let codes = this.paramIds.get(resourceType);
    if (!codes) this.paramIds.set(resourceType, (codes = new Map()));
    codes.set(code, id);
  }

  /** Must run inside the caller's write transaction. */
  write(pk: number, resource: FhirResource, replacing: boolean): void {
    if (replacing) this.clear(pk);
    const params = this.registry.forType(resource.resourceType);
    for (const { param, value: v } of indexRows(params, resource, this.baseUrl)) {
      const id = this.paramId(resource.resourceType, param, true)!;
      switch (v.kind) {
        case 'token':
          this.stmts.token.run(pk, id, v.system, v.code);
          break;
        case 'string':
          this.stmts.string.run(pk, id, v.norm, v.exact);
          break;
        case 'date':
          this.stmts.date.run(pk, id, v.low, v.high);
          break;
        case 'reference':
          this.stmts.reference.run(pk, id, v.targetType, v.targetId, v.url);
          break;
        case 'quantity':
        case 'number':
          this.stmts.number.run(pk, id, v.value, v.system, v.code, v.unit);
          break;
        case 'uri':
          this.stmts.uri.run(pk, id, v.value);
          break;
      }
    }
  }

  clear(pk: number): void {
    for (const s of this.stmts.clear) s.run(pk);
  }
}
