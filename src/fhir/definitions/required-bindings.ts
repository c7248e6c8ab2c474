import { getDataType, type InternalTypeSchema } from '@medplum/core';
import { isObject, type FhirResource, type OperationOutcomeIssue } from '../types.js';
import { valueSetCodes } from './value-sets.js';
import { own } from '../../core/own.js';

/**
 * Coded values (`code` elements) whose binding is required must come from the ValueSet, when
 * that ValueSet can be enumerated from the R4 definitions (see value-sets.ts). The validator of
 * @medplum/core checks structure but not these bindings.
 */
export function checkRequiredBindings(resource: FhirResource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, resource.resourceType, resource.resourceType, issues);
  return issues;
}

function schemaOf(type: string): InternalTypeSchema | undefined {
  try {
    return getDataType(type);
  } catch {
    return undefined;
  }
}

function walk(value: Record<string, unknown>, type: string, path: string, issues: OperationOutcomeIssue[]): void {
  const schema = schemaOf(type);
  if (!schema) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const { element, typeCode } = elementFor(schema, key);
    if (!element || !typeCode) continue;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      const at = `${path}.${key}${Array.isArray(child) ? `[${i}]` : ''}`;
      if (
        typeCode === 'code' &&
        typeof item === 'string' &&
        element.binding?.strength === 'required' &&
        element.binding.valueSet
      ) {
        const codes = valueSetCodes(element.binding.valueSet);
        if (codes && !codes.has(item)) {
          issues.push({
            severity: 'error',
            code: 'code-invalid',
            diagnostics: `"${item}" is not in the required value set ${element.binding.valueSet.split('|')[0]}`,
            expression: [at],
          });
        }
      } else if (isObject(item)) {
        const innerType = key === 'contained' || typeCode === 'Resource' ? (item.resourceType as string) : typeCode;
        if (innerType) walk(item, innerType, key === 'contained' ? `${at}` : at, issues);
      }
    });
  }
}

/** The element definition of a JSON key, including choice elements (`valueQuantity` → `value[x]`, Quantity). */
function elementFor(schema: InternalTypeSchema, key: string) {
  const direct = own(schema.elements, key);
  if (direct) return { element: direct, typeCode: direct.type.length === 1 ? direct.type[0].code : undefined };
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const base = name.slice(0, -3);
    if (!key.startsWith(base)) continue;
    const suffix = key.slice(base.length);
    const t = element.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
    if (t) return { element, typeCode: t.code };
  }
  return { element: undefined, typeCode: undefined };
}
