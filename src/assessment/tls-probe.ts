/** The certificate of an HTTPS server: trusted or not (and why), and when it expires. */
import { connect } from 'node:tls';
import type { Check } from './types.js';

export interface TlsReport {
  trusted: boolean;
  expires?: string;
  daysLeft?: number;
  error?: string;
}

export function tlsProbe(url: URL, timeoutMs: number, now: Date): Promise<{ report: TlsReport; check: Check }> {
  const port = Number(url.port || 443);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const started = performance.now();
  const request = `TLS handshake ${host}:${port}`;
  return new Promise((resolve) => {
    const done = (report: TlsReport, status: 'ok' | 'failed', detail: string) => {
      socket.destroy();
      resolve({ report, check: { name: 'tls', status, request, ms: Math.round(performance.now() - started), detail } });
    };
    // Not verified here on purpose: the certificate is read even when it is not trusted, to say why.
    const socket = connect({
      host,
      port,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () =>
      done({ trusted: false, error: 'timeout' }, 'failed', 'no TLS handshake in time'),
    );
    socket.once('error', (e: Error & { code?: string }) =>
      done({ trusted: false, error: e.code ?? e.message }, 'failed', `TLS failed: ${e.code ?? e.message}`),
    );
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const expires = cert?.valid_to ? new Date(cert.valid_to) : undefined;
      const daysLeft = expires ? Math.floor((expires.getTime() - now.getTime()) / 86_400_000) : undefined;
      const trusted = socket.authorized;
      const error = socket.authorizationError ? String(socket.authorizationError) : undefined;
      const report: TlsReport = {
        trusted,
        ...(expires ? { expires: expires.toISOString(), daysLeft } : {}),
        ...(error ? { error } : {}),
      };
      const when = expires ? `, expires ${expires.toISOString().slice(0, 10)} (${daysLeft} days)` : '';
      done(
        report,
        trusted ? 'ok' : 'failed',
        trusted ? `certificate trusted${when}` : `certificate NOT trusted: ${error}${when}`,
      );
    });
  });
}
