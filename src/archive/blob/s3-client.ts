/**
 * The one place the S3 client is built.
 *
 * The AWS SDK v3 prints "NodeVersionSupportWarning: … will require node >=22" (process.emitWarning,
 * from @aws-sdk/core's emitWarningIfUnsupportedVersion) when its first client is constructed on
 * Node < 22. We run on Node 20, where the SDK works and our S3 tests pass. On Node 20 exactly
 * that warning is dropped while the client is built; any other warning, and the same one on
 * another runtime, is emitted as before (like load-oidc-provider.ts does for oidc-provider).
 */
import { S3Client } from '@aws-sdk/client-s3';

/** Where S3 is and who we are there (config/blob-store.ts reads it from the AWS variables). */
export interface S3Connection {
  /** An S3-compatible server (MinIO…); unset: AWS. */
  endpoint?: string;
  region: string;
  /** Unset: the SDK's default credential chain (profiles, instance or task roles, web identity). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function isKnownSdkNodeWarning(warning: unknown, nodeVersion = process.versions.node): boolean {
  const text = warning instanceof Error ? `${warning.name}: ${warning.message}` : String(warning);
  return (
    nodeVersion.split('.')[0] === '20' && /^NodeVersionSupportWarning: The AWS SDK for JavaScript \(v3\)/.test(text)
  );
}

export function createS3Client(conn: S3Connection): S3Client {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!isKnownSdkNodeWarning(warning)) (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return new S3Client({
      region: conn.region,
      ...(conn.credentials ? { credentials: conn.credentials } : {}),
      // S3-compatible servers (MinIO, s3rver) are addressed by path; AWS by virtual host.
      ...(conn.endpoint ? { endpoint: conn.endpoint, forcePathStyle: true } : {}),
      // Flexible checksums are AWS's; S3-compatible servers do not all accept them (s3rver does not).
      ...(conn.endpoint
        ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {}),
      maxAttempts: 3,
    });
  } finally {
    process.emitWarning = emit;
  }
}
