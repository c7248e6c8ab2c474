import { ConfigError } from '../core/errors.js';

/** Where the archive keeps the bytes of instances (`--blob-store`, docs/blob-store.md). */
export type BlobStoreSpec =
  | { kind: 'file'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string; connection: S3Connection };

/**
 * `--blob-store` / IMAGING_BRIDGE_BLOB_STORE / config `blobStore`, and for S3 the connection from
 * the standard AWS variables of `env`. Throws ConfigError naming what is wrong.
 */
export function resolveBlobStore(
  value: string | undefined,
  dataDir: string,
  env: Record<string, string | undefined>,
): BlobStoreSpec {
  const where = parseBlobStore(value, dataDir);
  return where.kind === 'file' ? where : { ...where, connection: s3ConnectionFromEnv(env) };
}

/** Bucket naming rules of S3 (3–63 characters, lower-case letters, digits, dots and hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[0-9A-Za-z._/-]*$/;

/**
 * `file:DIR` (packs and files under DIR) or `s3://BUCKET[/PREFIX]`; unset: the data directory.
 * Wrong values stop start-up with a message naming the option.
 */
export function parseBlobStore(
  value: string | undefined,
  dataDir: string,
): { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string } {
  if (value === undefined) return { kind: 'file', dir: dataDir };
  const where = '--blob-store / IMAGING_BRIDGE_BLOB_STORE';
  if (value.startsWith('file:')) {
    const dir = value.slice('file:'.length);
    if (dir === '') throw new ConfigError(`${where}: "file:" needs a directory (file:/var/lib/imaging-bridge/blobs)`);
    return { kind: 'file', dir };
  }
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
    if (!BUCKET.test(bucket) || bucket.includes('..'))
      throw new ConfigError(
        `${where}: "${bucket}" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)`,
      );
    if (!PREFIX.test(prefix) || (prefix !== '' && prefix.split('/').some((p) => p === '' || p === '.' || p === '..')))
      throw new ConfigError(`${where}: prefix "${prefix}" must be path segments of letters, digits, . _ -`);
    return { kind: 's3', bucket, prefix: prefix === '' ? '' : `${prefix}/` };
  }
  throw new ConfigError(`${where}: expected file:DIR or s3://BUCKET/PREFIX, got "${value}"`);
}

/** The connection to S3 or an S3-compatible server, from the standard AWS variables. */
export interface S3Connection {
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: an S3-compatible server (MinIO…); unset: AWS. */
  endpoint?: string;
  /** AWS_REGION or AWS_DEFAULT_REGION; default us-east-1 (what S3-compatible servers expect). */
  region: string;
  /** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); unset: the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function s3ConnectionFromEnv(env: Record<string, string | undefined>): S3Connection {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(`AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: "${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(`AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: "${endpoint}" is not an http(s) URL`);
  }
  const id = env.AWS_ACCESS_KEY_ID || undefined;
  const secret = env.AWS_SECRET_ACCESS_KEY || undefined;
  if ((id === undefined) !== (secret === undefined))
    throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: give both, or neither');
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(id !== undefined && secret !== undefined
      ? {
          credentials: {
            accessKeyId: id,
            secretAccessKey: secret,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  };
}
