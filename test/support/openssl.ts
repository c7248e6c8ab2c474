import { execFileSync } from 'node:child_process';

/** True when the openssl CLI (used to make throw-away certificates) is installed. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
