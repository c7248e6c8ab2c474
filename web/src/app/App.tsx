import { Suspense, useEffect, useSyncExternalStore } from 'react';
import { onSessionChange, session, signedIn, signIn, signOut } from '../api/session';
import { Link, matchPath, useLocation } from './router';
import { ROUTES } from './routes';

const useSession = () => useSyncExternalStore(onSessionChange, session);

/** The shell: header (who, which mode), navigation built from the route table, the page. */
export function App({ startError }: { startError?: string }) {
  const s = useSession();
  const { path, query } = useLocation();
  const found = ROUTES.map((r) => ({ route: r, params: matchPath(r.path, path) })).find((m) => m.params);
  useEffect(() => {
    document.title = `${found?.route.title ?? 'Not found'} · ImagingBridge`;
  }, [found?.route.title]);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">ImagingBridge</span>
        {s.config.auth === 'none' && (
          <p className="banner" role="status">
            Authentication off (<code>--auth none</code>): every request is served without sign-in. For local evaluation
            only.
          </p>
        )}
        <span className="who">
          {s.config.auth === 'smart' && signedIn(s) && (
            <>
              Signed in as <strong>{s.user}</strong> ({s.roles.join(', ') || 'no role'}){' '}
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          )}
        </span>
      </header>
      <div className="layout">
        <nav aria-label="Main">
          {(['Clinical', 'Operations'] as const).map((group) => (
            <div key={group}>
              <h2>{group}</h2>
              <ul>
                {ROUTES.filter((r) => r.nav === group).map((r) => (
                  <li key={r.path}>
                    <Link to={r.path} aria-current={r.path === path ? 'page' : undefined}>
                      {r.title}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          {startError && (
            <p className="error" role="alert">
              {startError}
            </p>
          )}
          {!signedIn(s) ? (
            <SignIn expired={s.expiresAt !== undefined} />
          ) : !found ? (
            <h1>Page not found</h1>
          ) : found.route.roles && !found.route.roles.some((r) => s.roles.includes(r)) ? (
            <section>
              <h1>{found.route.title}</h1>
              <p className="refused" role="alert">
                Not allowed: the {found.route.title.toLowerCase()} needs the role {found.route.roles.join(' or ')}.
              </p>
            </section>
          ) : (
            <Suspense fallback={<p aria-busy="true">Loading…</p>}>
              <found.route.page params={found.params!} query={query} />
            </Suspense>
          )}
        </main>
      </div>
    </>
  );
}

function SignIn({ expired }: { expired: boolean }) {
  return (
    <section className="signin">
      <h1>Sign in</h1>
      <p>
        {expired
          ? 'Your session has ended (access tokens are short-lived). Sign in again to continue where you were.'
          : 'The console uses this server’s own authorization server (SMART on FHIR, authorization code with PKCE).'}
      </p>
      <button type="button" className="primary" onClick={() => void signIn()}>
        Sign in
      </button>
    </section>
  );
}
