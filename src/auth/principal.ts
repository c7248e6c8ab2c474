/**
 * Who is calling, as established from a verified access token (or `--auth none`).
 * Every protocol edge turns its credentials into a Principal; services and policies
 * see only this, never a token.
 */
export type Role = 'radiologist' | 'clinician' | 'data-steward' | 'administrator' | 'ai-service';

export const ROLES: readonly Role[] = ['radiologist', 'clinician', 'data-steward', 'administrator', 'ai-service'];

export interface Principal {
  /** `anonymous` only under `--auth none`. */
  kind: 'anonymous' | 'client' | 'user';
  /** OAuth client_id (azp / client_id claim). */
  clientId?: string;
  /** The token's `sub` (a user id for people, the client id for backend services). */
  subject?: string;
  /** The token's `jti`, recorded in every audit event. */
  jti?: string;
  /** Who issued the token (our own issuer URL or a configured external issuer). */
  issuer?: string;
  /** The granted scopes, space-separated as in the token (`system/ImagingStudy.rs patient/*.read`). */
  scope: string;
  roles: readonly Role[];
  /** Patient context (`patient` claim / launch context): patient-scoped scopes apply to this id. */
  patient?: string;
  /** `fhirUser` claim, e.g. `Practitioner/123`. */
  fhirUser?: string;
  /** Token expiry (seconds since the epoch). */
  expiresAt?: number;
}

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  scope: 'system/*.cruds',
  roles: ['administrator'] as Role[],
});

/** Thrown by a TokenVerifier: the edge answers 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_token' | 'invalid_request' = 'invalid_token',
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Verifies a bearer access token (ours, or a configured external issuer's) into a Principal. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}
