import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/** A small history-API router: the console has a flat table of routes (app/routes.ts), no nesting. */
const CHANGE = 'imaging-bridge:navigate';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(CHANGE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(CHANGE, listener);
  };
}

const locationKey = () => location.pathname + location.search;

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const key = useSyncExternalStore(subscribe, locationKey);
  const url = new URL(key, location.origin);
  return { path: url.pathname, query: url.searchParams };
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** `/patients/:id` against `/patients/123` → { id: '123' }; undefined when it does not match. */
export function matchPath(pattern: string, path: string): Map<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params.set(want[i].slice(1), decodeURIComponent(have[i]));
    else if (want[i] !== have[i]) return undefined;
  }
  return params;
}

/** An ordinary link (opens in a new tab, keyboard accessible) that navigates in place when clicked. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={onClick} {...rest} />;
}
