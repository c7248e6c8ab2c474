import { QueryError } from './query-error.js';
import { isPrivateTag, keywordOfTag, tagOfKeyword, tagToHex, vrOfTag } from '../../dicom/dictionary.js';

/** A DICOM attribute named in a query: by keyword (`PatientID`) or tag (`00100020`). */
export interface AttributeRef {
  /** 8 upper-case hex digits. */
  tag: string;
  keyword: string;
  vr: string;
}

const TAG = /^[0-9A-Fa-f]{8}$/;
const KEYWORD = /^[A-Za-z][A-Za-z0-9]*$/;

/** True when the name has the shape of an attribute id (even if the dictionary does not know it). */
export function looksLikeAttributeId(name: string): boolean {
  return TAG.test(name) || KEYWORD.test(name) || name.includes('.');
}

/**
 * Resolve one attribute id of a query key or includefield value; a dotted path is sequence
 * matching, which we do not do. `use` names the parameter in error messages.
 */
export function resolveAttribute(id: string, use: string): AttributeRef {
  const refuse = (text: string) => new QueryError(use === 'includefield' ? use : id, text);
  if (id.includes('.')) {
    throw refuse(`${use} "${id}": nested attributes (sequence matching) are not supported`);
  }
  if (TAG.test(id)) {
    const num = parseInt(id, 16) >>> 0;
    const tag = tagToHex(num);
    if (isPrivateTag(num)) return privateRef(tag, use);
    const vr = vrOfTag(num);
    if (!vr) throw refuse(`${use} "${id}": unknown attribute tag`);
    return { tag, keyword: keywordOfTag(num) ?? tag, vr };
  }
  const num = KEYWORD.test(id) ? tagOfKeyword(id) : undefined;
  const vr = num === undefined ? undefined : vrOfTag(num);
  if (num === undefined || !vr) throw refuse(`${use} "${id}": unknown attribute keyword`);
  return { tag: tagToHex(num), keyword: id, vr };
}

/** Private attributes have no dictionary VR; they can only be returned (instance metadata). */
function privateRef(tag: string, use: string): AttributeRef {
  if (use !== 'includefield')
    throw new QueryError(tag, `${use} "${tag}": matching on private attributes is not supported`);
  return { tag, keyword: tag, vr: 'UN' };
}
