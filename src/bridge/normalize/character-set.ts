/**
 * Rule `character-set`: SpecificCharacterSet (0008,0005) missing, unknown, wrongly combined,
 * or not matching the bytes. Values were decoded when the instance was stored; when the
 * declared set was the Latin-1 default, each character still stands for one original byte,
 * so text can be repaired: ISO 2022 escape sequences under a set that does not declare code
 * extensions are decoded, and UTF-8 bytes read as Latin-1 (`MÃ¼ller`) are re-read as UTF-8.
 * A repaired dataset declares ISO_IR 192, the set its Unicode text now fits. Characters
 * replaced by U+FFFD during decoding are lost: reported only.
 */
import { TextDecoder } from 'node:util';
import { decodeText } from '../../dicom/charset-decode.js';
import type { DicomJson } from '../../dicom/types.js';
import { TAG } from '../mapping/dicom-read.js';
import { finding, mapAttributes, mapValues, withAttribute } from './edit.js';
import type { Finding, InstanceRule } from './types.js';

const RULE = 'character-set';
const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);
const IRS = '6|100|101|109|110|126|127|138|144|148|166|203|13|87|159|149|58';
const KNOWN_TERM = new RegExp(`^(|ISO_IR (${IRS}|192)|ISO 2022 IR (${IRS})|GB18030|GBK)$`);
const WHOLE_VALUE_TERMS = new Set(['ISO_IR 192', 'GB18030', 'GBK']);
const LATIN1_DEFAULT = new Set(['', 'ISO_IR 100', 'ISO_IR 6', 'ISO 2022 IR 6', 'ISO 2022 IR 100']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function declaredTerms(json: DicomJson): string[] | undefined {
  const values = json[TAG.SpecificCharacterSet]?.Value;
  return values?.map((v) => (typeof v === 'string' ? v.trim().toUpperCase() : ''));
}

/** The repaired text, or undefined when the text is fine or cannot be repaired. */
function repair(s: string, vr: string): { text: string; why: string } | undefined {
  if (!/[^\x00-\x7f]|\x1b/.test(s) || /[^\x00-\xff]/.test(s)) return undefined;
  const bytes = Buffer.from(s, 'latin1');
  if (s.includes('\x1b')) {
    return {
      text: decodeText(bytes, ['', 'ISO 2022 IR 87', 'ISO 2022 IR 159', 'ISO 2022 IR 13'], vr),
      why: 'ISO 2022 escape sequences under a character set that does not declare code extensions',
    };
  }
  try {
    const text = utf8.decode(bytes);
    return text !== s ? { text, why: 'UTF-8 bytes were read as Latin-1' } : undefined;
  } catch {
    return undefined;
  }
}

function checkTerms(terms: string[] | undefined, findings: Finding[]): string[] | undefined {
  if (!terms) return undefined;
  for (const t of terms)
    if (!KNOWN_TERM.test(t))
      findings.push(
        finding(RULE, 'warning', TAG.SpecificCharacterSet, t, 'unknown character set term; text was read as Latin-1'),
      );
  if (terms.length < 2) return undefined;
  if (terms.some((t) => WHOLE_VALUE_TERMS.has(t))) {
    findings.push(
      finding(
        RULE,
        'warning',
        TAG.SpecificCharacterSet,
        terms,
        'UTF-8/GB18030/GBK cannot be combined with other character sets',
      ),
    );
    return undefined;
  }
  const fixed = terms.map((t) => t.replace(/^ISO_IR /, 'ISO 2022 IR '));
  if (fixed.join('\\') === terms.join('\\')) return undefined;
  findings.push(
    finding(
      RULE,
      'info',
      TAG.SpecificCharacterSet,
      terms,
      'with code extensions every term must be in its ISO 2022 form',
      fixed,
    ),
  );
  return fixed;
}

export const characterSet: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    const terms = declaredTerms(json);
    const fixedTerms = checkTerms(terms, findings);
    const latin1 = !terms || (terms.length === 1 && (LATIN1_DEFAULT.has(terms[0]!) || !KNOWN_TERM.test(terms[0]!)));
    let repaired = false;
    let nonAscii = false;
    const fixText = (s: string, vr: string, path: string): string => {
      if (s.includes('\ufffd'))
        findings.push(
          finding(RULE, 'warning', path, s, 'bytes not valid in the declared character set; characters were lost'),
        );
      if (/[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f\x80-\x9f]/.test(s))
        findings.push(
          finding(
            RULE,
            'warning',
            path,
            s,
            'text contains control characters; the declared character set is probably wrong',
          ),
        );
      if (/[^\x00-\x7f]/.test(s)) nonAscii = true;
      const r = latin1 ? repair(s, vr) : undefined;
      if (!r) return s;
      repaired = true;
      findings.push(finding(RULE, 'warning', path, s, r.why, r.text));
      return r.text;
    };
    let out = mapAttributes(json, (attr, path) => {
      if (!TEXT_VRS.has(attr.vr)) return undefined;
      return mapValues(attr, (v) => {
        if (typeof v === 'string') return fixText(v, attr.vr, path);
        if (attr.vr !== 'PN' || !v || typeof v !== 'object') return v;
        const groups = Object.entries(v as Record<string, string>);
        const fixed = groups.map(([k, g]) => [k, typeof g === 'string' ? fixText(g, 'PN', path) : g] as const);
        return fixed.some(([, g], i) => g !== groups[i]![1]) ? Object.fromEntries(fixed) : v;
      });
    });
    if (repaired) {
      out = withAttribute(out, TAG.SpecificCharacterSet, { vr: 'CS', Value: ['ISO_IR 192'] });
      findings.push(
        finding(
          RULE,
          'warning',
          TAG.SpecificCharacterSet,
          terms ?? null,
          'text was repaired; the dataset now declares UTF-8',
          ['ISO_IR 192'],
        ),
      );
    } else if (fixedTerms) {
      out = withAttribute(out, TAG.SpecificCharacterSet, { vr: 'CS', Value: fixedTerms });
    } else if (!terms && nonAscii) {
      findings.push(
        finding(
          RULE,
          'info',
          TAG.SpecificCharacterSet,
          null,
          'SpecificCharacterSet missing but the text is not ASCII; it was read as Latin-1',
        ),
      );
    }
    return { json: out, findings };
  },
};
