import { badRequest, unprocessable } from '../outcomes.js';
import { isObject } from '../types.js';

/** RFC 6902 JSON Patch. A malformed document is 400; a patch that cannot apply is 422. */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('a JSON Patch is an array of operations');
  let doc: unknown = structuredClone(document);
  patch.forEach((raw, i) => {
    const op = checkOperation(raw, i);
    doc = applyOne(doc, op, i);
  });
  return doc;
}

function checkOperation(raw: unknown, i: number): PatchOperation {
  if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest(`patch operation ${i} needs op and path`);
  if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(raw.op)) throw badRequest(`patch operation ${i}: unknown op ${raw.op}`);
  if (['add', 'replace', 'test'].includes(raw.op) && !('value' in raw)) throw badRequest(`patch operation ${i} (${raw.op}) needs a value`);
  if (['move', 'copy'].includes(raw.op) && typeof raw.from !== 'string') throw badRequest(`patch operation ${i} (${raw.op}) needs from`);
  return raw as unknown as PatchOperation;
}

function pointer(path: string, i: number): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`patch operation ${i}: "${path}" is not a JSON Pointer`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], i: number): { parent: Container; key: string } {
  let node = doc;
  for (const t of tokens.slice(0, -1)) {
    node = child(node, t, i);
  }
  if (!isObject(node) && !Array.isArray(node)) throw unprocessable(`patch operation ${i}: the parent of the target is not an object or array`);
  return { parent: node, key: tokens[tokens.length - 1] };
}

function child(node: unknown, token: string, i: number): unknown {
  if (Array.isArray(node)) {
    const index = arrayIndex(node, token, i, false);
    return node[index];
  }
  if (isObject(node) && token in node) return node[token];
  throw unprocessable(`patch operation ${i}: path element "${token}" does not exist`);
}

function arrayIndex(array: unknown[], token: string, i: number, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw unprocessable(`patch operation ${i}: "${token}" is not an array index`);
  const index = Number(token);
  if (index > array.length || (!forInsert && index === array.length)) throw unprocessable(`patch operation ${i}: index ${index} is out of range`);
  return index;
}

function get(doc: unknown, path: string, i: number): unknown {
  return pointer(path, i).reduce((node, t) => child(node, t, i), doc);
}

function remove(doc: unknown, tokens: string[], i: number): unknown {
  if (tokens.length === 0) throw unprocessable(`patch operation ${i}: cannot remove the whole resource`);
  const { parent, key } = parentOf(doc, tokens, i);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, i, false), 1)[0];
  if (!(key in parent)) throw unprocessable(`patch operation ${i}: "${key}" does not exist`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function add(doc: unknown, tokens: string[], value: unknown, i: number): unknown {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, i);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, i, true), 0, value);
  else parent[key] = value;
  return doc;
}

function applyOne(doc: unknown, op: PatchOperation, i: number): unknown {
  const tokens = pointer(op.path, i);
  switch (op.op) {
    case 'add':
      return add(doc, tokens, structuredClone(op.value), i);
    case 'remove':
      remove(doc, tokens, i);
      return doc;
    case 'replace':
      if (tokens.length === 0) return structuredClone(op.value);
      remove(doc, tokens, i);
      return add(doc, tokens, structuredClone(op.value), i);
    case 'move': {
      if (op.path.startsWith(op.from! + '/')) throw unprocessable(`patch operation ${i}: cannot move a value into itself`);
      const value = remove(doc, pointer(op.from!, i), i);
      return add(doc, tokens, value, i);
    }
    case 'copy':
      return add(doc, tokens, structuredClone(get(doc, op.from!, i)), i);
    case 'test':
      if (JSON.stringify(get(doc, op.path, i)) !== JSON.stringify(op.value)) throw unprocessable(`patch operation ${i}: test failed at ${op.path}`);
      return doc;
  }
}
