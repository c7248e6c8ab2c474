import { readDefinitionsJson } from './read-definitions-json.js';

interface Concept {
  code: string;
  concept?: Concept[];
}
interface CodeSystem {
  resourceType: 'CodeSystem';
  url: string;
  content?: string;
  concept?: Concept[];
}
interface ValueSet {
  resourceType: 'ValueSet';
  url: string;
  compose?: {
    include?: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[];
    exclude?: unknown[];
  };
}

let index: { codeSystems: Map<string, CodeSystem>; valueSets: Map<string, ValueSet> } | undefined;
const expansions = new Map<string, Set<string> | null>();

/**
 * The codes of an R4 ValueSet, when it can be enumerated from the published definitions
 * (explicit concepts, or whole complete CodeSystems); null when it cannot (filters, imports,
 * external terminologies), and then no check is made.
 */
export function valueSetCodes(url: string): Set<string> | null {
  const key = url.split('|')[0];
  if (expansions.has(key)) return expansions.get(key)!;
  const codes = expand(key);
  expansions.set(key, codes);
  return codes;
}

/** Reads the ValueSets and CodeSystems now (at start, with the other R4 definitions) rather than at the first write. */
export function loadValueSets(): void {
  load();
}

function load() {
  if (index) return index;
  const codeSystems = new Map<string, CodeSystem>();
  const valueSets = new Map<string, ValueSet>();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    // Only the fields expand() reads are kept: the whole resources (narratives included) held
    // ≈ 20 MB of heap for the life of the process, which raised every later GC threshold with it.
    for (const { resource } of readDefinitionsJson(file).entry as { resource: CodeSystem | ValueSet }[]) {
      if (resource.resourceType === 'CodeSystem') {
        const { url, content, concept } = resource;
        codeSystems.set(url, { resourceType: 'CodeSystem', url, content, concept: concept && codesOnly(concept) });
      } else if (resource.resourceType === 'ValueSet') {
        const { url, compose } = resource;
        const include = compose?.include?.map(({ system, concept, filter, valueSet }) => ({
          system,
          concept: concept?.map(({ code }) => ({ code })),
          filter,
          valueSet,
        }));
        valueSets.set(url, {
          resourceType: 'ValueSet',
          url,
          compose: compose && { include, exclude: compose.exclude },
        });
      }
    }
  }
  return (index = { codeSystems, valueSets });
}

const codesOnly = (concepts: Concept[]): Concept[] =>
  concepts.map((c) => (c.concept ? { code: c.code, concept: codesOnly(c.concept) } : { code: c.code }));

function expand(url: string): Set<string> | null {
  const { codeSystems, valueSets } = load();
  const vs = valueSets.get(url);
  if (!vs?.compose?.include || vs.compose.exclude?.length) return null;
  const codes = new Set<string>();
  for (const inc of vs.compose.include) {
    if (inc.filter?.length || inc.valueSet?.length || !inc.system) return null;
    if (inc.concept) {
      for (const c of inc.concept) codes.add(c.code);
      continue;
    }
    const cs = codeSystems.get(inc.system);
    if (cs?.content !== 'complete' || !cs.concept) return null;
    const walk = (concepts: Concept[]) => {
      for (const c of concepts) {
        codes.add(c.code);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept);
  }
  return codes;
}
