import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** True when the openssl CLI (used to make throw-away certificates) is installed. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A throw-away self-signed P-256 certificate for 127.0.0.1 (one day), made with the openssl CLI
 * in `dir`: key.pem and cert.pem there, and their bytes.
 */
export function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer; keyFile: string; certFile: string } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile };
}
