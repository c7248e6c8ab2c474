import { renderHtml } from './render-html.js';
import { renderMarkdown, renderText } from './render-text.js';
import type { Assessment } from './types.js';

export const FORMATS = ['text', 'json', 'html', 'md'] as const;
export type Format = (typeof FORMATS)[number];

export function renderAssessment(a: Assessment, format: Format): string {
  if (format === 'json') return `${JSON.stringify(a, null, 2)}\n`;
  if (format === 'html') return renderHtml(a);
  if (format === 'md') return renderMarkdown(a);
  return renderText(a);
}
