import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../core/errors.js';
import { applyJsonPatch } from './json-patch.js';

const statusOf = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof OperationOutcomeError ? e.status : -1;
  }
};

describe('applyJsonPatch (fast-json-patch)', () => {
  const patient = () => ({
    resourceType: 'Patient',
    id: 'p1',
    name: [{ family: 'Doe', given: ['Jo'] }],
    gender: 'female',
  });

  it('applies RFC 6902 operations to a clone', () => {
    const doc = patient();
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/gender', value: 'male' },
      { op: 'add', path: '/name/0/given/-', value: 'Ann' },
      { op: 'copy', from: '/name/0/family', path: '/name/0/text' },
      { op: 'move', from: '/name/0/text', path: '/name/0/prefix' },
      { op: 'remove', path: '/name/0/prefix' },
    ]);
    expect(out).toEqual({
      resourceType: 'Patient',
      id: 'p1',
      name: [{ family: 'Doe', given: ['Jo', 'Ann'] }],
      gender: 'male',
    });
    expect(doc).toEqual(patient());
  });

  it('compares `test` values by deep equality: member order does not matter', () => {
    const ops = [
      { op: 'test', path: '/name/0', value: { given: ['Jo'], family: 'Doe' } },
      { op: 'replace', path: '/gender', value: 'other' },
    ];
    expect(applyJsonPatch(patient(), ops)).toMatchObject({ gender: 'other' });
    expect(statusOf(() => applyJsonPatch(patient(), [{ op: 'test', path: '/name/0', value: { family: 'Doe' } }]))).toBe(
      422,
    );
  });

  it('answers 400 for a malformed patch and 422 for one that cannot apply, leaving the document untouched', () => {
    const doc = patient();
    expect(statusOf(() => applyJsonPatch(doc, { op: 'add' }))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/gender' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: 'gender', value: 1 }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/gender' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'copy', path: '/gender' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'replace', path: '/birthDate', value: '2000' }]))).toBe(422);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/name/5', value: {} }]))).toBe(422);
    expect(
      statusOf(() =>
        applyJsonPatch(doc, [
          { op: 'remove', path: '/gender' },
          { op: 'remove', path: '/a/b' },
        ]),
      ),
    ).toBe(422);
    expect(doc).toEqual(patient());
  });

  it('refuses __proto__, constructor and prototype anywhere in path or from (400) and leaves every prototype alone', () => {
    const attacks = [
      [{ op: 'add', path: '/__proto__/rs', value: 'cruds' }],
      [{ op: 'add', path: '/name/0/__proto__/polluted', value: 1 }],
      [{ op: 'replace', path: '/constructor/prototype/polluted', value: 1 }],
      [{ op: 'add', path: '/constructor/polluted', value: 1 }],
      [{ op: 'add', path: '/name/constructor/prototype/polluted', value: 1 }],
      [{ op: 'copy', from: '/__proto__', path: '/x' }],
      [{ op: 'add', path: '/prototype', value: 1 }],
      [{ op: 'add', path: '/__proto~1x/../__proto__', value: 1 }],
    ];
    for (const ops of attacks)
      expect(
        statusOf(() => applyJsonPatch(patient(), ops)),
        JSON.stringify(ops),
      ).toBe(400);
    expect(({} as Record<string, unknown>).rs).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });
});
