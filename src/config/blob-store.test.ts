import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';

describe('--blob-store', () => {
  it('defaults to the data directory', () => {
    expect(loadConfig({ 'data-dir': '/srv/ib' }, {}).blobs).toEqual({ kind: 'file', dir: '/srv/ib' });
  });

  it('takes file:DIR from the flag, or s3://BUCKET/PREFIX from IMAGING_BRIDGE_BLOB_STORE with the AWS variables', () => {
    expect(loadConfig({ 'blob-store': 'file:/mnt/objects' }, {}).blobs).toEqual({ kind: 'file', dir: '/mnt/objects' });
    const env = {
      IMAGING_BRIDGE_BLOB_STORE: 's3://hospital-images/site-a/archive/',
      AWS_ENDPOINT_URL: 'http://minio:9000',
      AWS_ENDPOINT_URL_S3: 'http://minio-s3:9000',
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
    expect(loadConfig({}, env).blobs).toEqual({
      kind: 's3',
      bucket: 'hospital-images',
      prefix: 'site-a/archive/',
      connection: {
        endpoint: 'http://minio-s3:9000',
        region: 'eu-central-1',
        credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      },
    });
    expect(loadConfig({ 'blob-store': 's3://abc' }, {}).blobs).toEqual({
      kind: 's3',
      bucket: 'abc',
      prefix: '',
      connection: { region: 'us-east-1' },
    });
  });

  it('refuses what it cannot use, naming the option', () => {
    const bad =
      (value: string, env: Record<string, string> = {}) =>
      () =>
        loadConfig({ 'blob-store': value }, env);
    expect(bad('/srv/objects')).toThrow(
      /--blob-store \/ IMAGING_BRIDGE_BLOB_STORE: expected file:DIR or s3:\/\/BUCKET\/PREFIX/,
    );
    expect(bad('file:')).toThrow(/"file:" needs a directory/);
    expect(bad('s3://ab/x')).toThrow(/"ab" is not an S3 bucket name/);
    expect(bad('s3://Images')).toThrow(/"Images" is not an S3 bucket name/);
    expect(bad('s3://images/a//b')).toThrow(/prefix "a\/\/b"/);
    expect(bad('s3://images/../x')).toThrow(/prefix/);
    expect(bad('s3://images', { AWS_ENDPOINT_URL_S3: 'minio:9000' })).toThrow(
      /AWS_ENDPOINT_URL_S3 .* not an http\(s\) URL/,
    );
    expect(bad('s3://images', { AWS_ACCESS_KEY_ID: 'id' })).toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/,
    );
  });

  it('reads no AWS variable while the blob store is local', () => {
    expect(loadConfig({}, { AWS_ENDPOINT_URL_S3: 'not a url' }).blobs.kind).toBe('file');
  });
});
