/** What the authorization server reports for the audit log (identifiers only, never secrets). */
export interface OAuthEvent {
  kind: 'token-issued' | 'token-denied' | 'login' | 'login-failed';
  clientId?: string;
  /** The user (people) or the client id (backend services). */
  subject?: string;
  /** The access token's jti. */
  jti?: string;
  scope?: string;
  /** Why it was refused: the OAuth error code and description. */
  reason?: string;
  ip?: string;
  requestId?: string;
}
