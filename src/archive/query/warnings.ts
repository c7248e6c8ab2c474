/** PS3.18 Warning header values (RFC 7234 5.5: code, agent, quoted text). */
const AGENT = 'imaging-bridge';

export const warning = (text: string): string => `299 ${AGENT} "${text.replace(/["\\]/g, '\\$&')}"`;

export const FUZZY_MATCHING_NOT_SUPPORTED = warning(
  'The fuzzymatching parameter is not supported. Only literal matching has been performed.',
);

export const EMPTY_VALUE_MATCHING_NOT_SUPPORTED = warning(
  'The emptyvaluematching parameter is not supported. Empty Value Matching has not been performed.',
);

export const RESULTS_TRUNCATED = warning('The number of results exceeded the maximum supported; use limit/offset');

export const ignoredParameters = (names: string[]): string =>
  warning(`Unsupported query parameters were ignored: ${names.join(', ')}`);
