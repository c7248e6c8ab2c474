import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cruise, format, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of docs/architecture.md, enforced: .dependency-cruiser.cjs run on src/ must
 * report nothing, and run on a small tree with deliberate mistakes must report each of them.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
// The whole tree is parsed with TypeScript's compiler; a loaded machine makes that slow.
const SLOW = { timeout: 180_000 };

async function cruiseWithRules(baseDir: string): Promise<ICruiseResult> {
  const options: ICruiseOptions = {
    ...(await extractDepcruiseOptions(`${ROOT}/.dependency-cruiser.cjs`)),
    baseDir,
  };
  const { output } = await cruise(['src'], options, undefined, {
    tsConfig: extractTSConfig(`${ROOT}/tsconfig.json`),
  });
  return output as ICruiseResult;
}

/** The violations as dependency-cruiser prints them on the command line (`npx depcruise src --config`). */
async function readable(result: ICruiseResult): Promise<string> {
  return String((await format(result, { outputType: 'err-long' })).output);
}

const brokenRules = (result: ICruiseResult) =>
  result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, 'package $1')}`)
    .sort();

describe('layers', () => {
  it('src/ obeys the layer rules: no upward or sideways import, no cycle, nothing from test/', SLOW, async () => {
    const result = await cruiseWithRules(ROOT);
    expect(result.summary.violations, await readable(result)).toEqual([]);
    // Resolution worked: a cruise that resolved nothing would find nothing to forbid.
    expect(result.summary.totalCruised).toBeGreaterThan(300);
    expect(result.modules.find((m) => m.source === 'src/main.ts')?.dependencies.length).toBeGreaterThan(20);
  });

  it('every folder of src/ has its row in the layer table (cli/ may import anything)', async () => {
    const options = await extractDepcruiseOptions(`${ROOT}/.dependency-cruiser.cjs`);
    const rows = new Set((options.ruleSet?.forbidden ?? []).map((r) => r.name));
    const folders = readdirSync(`${ROOT}/src`, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'cli')
      .map((d) => d.name);
    expect(folders.filter((f) => !rows.has(`layer-${f}`))).toEqual([]);
  });

  it(
    'the rules bite: an upward import, a cycle, an import of test/ and of dcmjs-dimse outside dimse/ are reported',
    SLOW,
    async () => {
      const result = await cruiseWithRules(FIXTURES);
      expect(brokenRules(result)).toEqual([
        'dcmjs-dimse-in-dimse: src/http/route.ts → package dcmjs-dimse',
        'layer-core: src/core/uid.ts → src/http/route.ts',
        'no-circular: src/archive/index-table.ts → src/archive/store.ts',
        'src-not-to-test: src/archive/index-table.ts → test/helper.ts',
      ]);
    },
  );
});
