/**
 * Errors raised by services. Each protocol edge converts them in one place:
 * HTTP → status + body, DICOMweb STOW → FailureReason, DIMSE → status.
 */

/** A failure to store one instance, carrying the PS3.4 status that describes it. */
export class StoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The instance concerned, when it could be read. */
    readonly sop?: { classUid: string; instanceUid: string },
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** An HTTP-level problem: the request itself is wrong (not one instance in it). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (msg: string) => new HttpError(400, msg);
export const notFound = (msg: string) => new HttpError(404, msg);
export const forbidden = (msg: string) => new HttpError(403, msg);
export const notAcceptable = (msg: string) => new HttpError(406, msg);
export const unsupportedMediaType = (msg: string) => new HttpError(415, msg);

/** Configuration that cannot work: reported at start-up, before anything listens. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
