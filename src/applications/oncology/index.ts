/** The tumor-board summary service (docs/oncology.md). */
export { OncologyService, type OncologySummary } from './service.js';
export { openOncology } from './open.js';
export { parseOncologyQuery, type OncologyRequest } from './params.js';
export { summaryHtml, SUMMARY_CSP } from './html.js';
export { summaryDocument } from './document.js';
