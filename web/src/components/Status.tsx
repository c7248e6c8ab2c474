import type { ReactNode } from 'react';
import type { Async } from './useAsync';

/** Loading, the error with the server's reason, or the content. */
export function Loaded<T>({ value, children }: { value: Async<T>; children: (v: T) => ReactNode }) {
  if (value.state === 'loading') return <p aria-busy="true">Loading…</p>;
  if (value.state === 'error')
    return (
      <p className="error" role="alert">
        {value.error.message}
      </p>
    );
  return <>{children(value.value)}</>;
}
