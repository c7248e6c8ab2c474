/**
 * The published SearchParameter expressions are unions over several resource types
 * ("Condition.code | Observation.code | ..."). At write time only the terms for the type at
 * hand are evaluated, and `resolve() is X` (which needs the referenced resource) becomes a test
 * on the reference text, which is how a server that stores relative references answers it.
 */
export function termsFor(expression: string, resourceType: string): string | undefined {
  const kept: string[] = [];
  for (const raw of splitUnion(expression)) {
    const term = raw.trim();
    const head = /^\(*\s*([A-Za-z]+)\b/.exec(term)?.[1];
    if (head === resourceType) kept.push(term);
    else if (head === 'Resource' || head === 'DomainResource') kept.push(term.replace(head, resourceType));
    // A few definitions (InsurancePlan.name) leave out the type: the path starts at the resource.
    else if (head && /^[a-z]/.test(head)) kept.push(`${resourceType}.${term}`);
  }
  if (kept.length === 0) return undefined;
  return kept.map((t) => rewriteAs(rewriteResolve(t))).join(' | ');
}

/**
 * `(Observation.component.value as Quantity)` fails in FHIRPath as soon as the path yields
 * more than one item (a blood-pressure panel has two components); `ofType()` filters instead.
 */
function rewriteAs(term: string): string {
  return term.replace(
    /\(\s*([A-Za-z][\w.]*)\s+as\s+([A-Za-z]+)\s*\)/g,
    (_m, path: string, type: string) => `${path}.ofType(${type})`,
  );
}

export function splitUnion(expression: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
    } else if (c === "'") quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      terms.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(expression.slice(start));
  return terms;
}

function rewriteResolve(term: string): string {
  return term.replace(
    /\.where\(\s*resolve\(\)\s+is\s+([A-Za-z]+)\s*\)/g,
    (_m, type: string) => `.where(reference.startsWith('${type}/') or reference.contains('/${type}/'))`,
  );
}
