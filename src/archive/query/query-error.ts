/**
 * A query the engine refuses (PS3.18 8.3.4, PS3.4 C.2.2): a malformed or unsupported key or
 * parameter. Each edge answers it its own way: QIDO-RS with a 400 OperationOutcome
 * (src/http/errors.ts), C-FIND with 0xC000 (src/dimse/status.ts).
 */
export class QueryError extends Error {
  constructor(
    /** The query parameter or matching key at fault (`limit`, `includefield`, `StudyDate`...). */
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
