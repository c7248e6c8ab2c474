/**
 * The one place oidc-provider is loaded (everything else imports only its types), so the CLI
 * and `serve` without OAuth never evaluate it.
 *
 * oidc-provider 9 prints "Unsupported runtime. Use Node.js v22.x LTS…" with console.warn while
 * its module is evaluated, on every Node release older than 22 (lib/index.js compares
 * process.release.lts with 'Jod'). We run on Node 20, where our OAuth tests pass; 8.x is the
 * last line that accepts Node 20 and is no longer maintained. On Node 20 exactly that line is
 * dropped while the module loads; any other warning, and the same line on any other runtime,
 * is printed as before.
 */
type OidcProviderModule = typeof import('oidc-provider');

const RUNTIME_NOTICE = 'oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.';

let loading: Promise<OidcProviderModule> | undefined;

/** True for the runtime notice (plain, or wrapped in colour codes on a terminal). */
export function isKnownRuntimeNotice(args: unknown[], nodeVersion = process.versions.node): boolean {
  return (
    nodeVersion.split('.')[0] === '20' &&
    args.length === 1 &&
    typeof args[0] === 'string' &&
    args[0].replace(/\x1b\[[0-9;]*m/g, '') === RUNTIME_NOTICE
  );
}

export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!isKnownRuntimeNotice(args)) warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
