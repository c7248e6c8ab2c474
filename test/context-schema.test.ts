import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// ajv comes with fastify (its schema compiler); used here only to check our published schema.
import Ajv2020 from 'ajv/dist/2020.js';

const root = join(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(join(root, 'docs/context-api.schema.json'), 'utf8'));
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
ajv.addSchema(schema);
const check = (def: string, doc: unknown) => {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${def}`)!;
  const ok = validate(doc);
  return ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
};

describe('docs/context-api.schema.json describes what the API really sends and takes', () => {
  const goldenDir = join(root, 'src/context/golden');
  it.each(readdirSync(goldenDir).filter((f) => f.endsWith('.expected.json')))(
    'the context document of golden %s is valid',
    (file) => {
      expect(check('PatientContext', JSON.parse(readFileSync(join(goldenDir, file), 'utf8')).context)).toEqual([]);
    },
  );

  it('the AI results example input is valid, and a document with an unknown section is not', () => {
    expect(
      check(
        'AiResultRequest',
        JSON.parse(readFileSync(join(root, 'src/ai-results/golden/lesion-and-negative.input.json'), 'utf8')),
      ),
    ).toEqual([]);
    expect(
      check('PatientContext', { patient: { id: 'p', identifier: [] }, complete: true, sources: [], xrays: [] }),
    ).not.toEqual([]);
  });
});
