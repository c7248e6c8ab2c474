/**
 * OAuth clients and users are managed with the CLI only: there is no HTTP API for them, and the
 * console uses the public APIs only (no back door). This page says how.
 */
export default function AccessPage() {
  return (
    <section>
      <h1>Clients and users</h1>
      <p>
        OAuth clients and user accounts have no HTTP API yet, so they cannot be listed or changed from the console.
        Manage them on the server with the command line (see docs/security.md):
      </p>
      <pre>
        {`imaging-bridge users add --data-dir DIR --username cathy --password-file pw.txt --role clinician
imaging-bridge users list|remove --data-dir DIR [--username U]
imaging-bridge clients add --data-dir DIR --client-id ai-triage --jwks-file triage.jwks.json --scope "system/ImagingStudy.rs"
imaging-bridge clients list|remove --data-dir DIR [--client-id ID]`}
      </pre>
      <p>
        The console itself signs in as the public client <code>imaging-bridge-console</code>, which the server registers
        at every start under <code>--auth smart</code>.
      </p>
    </section>
  );
}
