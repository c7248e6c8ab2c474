/** What went wrong in an S3 call, in words an operator can act on. */
export function s3Failure(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  if (err.name === 'NoSuchBucket' || (err.name === 'NotFound' && status === 404)) return 'the bucket does not exist';
  if (status === 403 || err.name === 'AccessDenied' || err.name === 'InvalidAccessKeyId')
    return `access denied (${err.name}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy`;
  if (status === 301 || err.name === 'PermanentRedirect' || err.name === 'AuthorizationHeaderMalformed')
    return `the bucket is in another region (${err.name}): set AWS_REGION`;
  if (
    err.code === 'ECONNREFUSED' ||
    err.code === 'ENOTFOUND' ||
    err.code === 'ETIMEDOUT' ||
    err.name === 'TimeoutError'
  )
    return `cannot reach the endpoint (${err.code ?? err.name}): check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL`;
  return `${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err.message ?? String(e)}`;
}

export function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}
