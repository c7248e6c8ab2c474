import type { ReactNode } from 'react';
import type { Source } from '../api/context';

/**
 * A section of the patient context: its content, or — when the server says the section failed
 * (null, with its `sources` entries) — which query failed and why. Never an empty list for a
 * failed section.
 */
export function Section<T>({
  title,
  name,
  data,
  sources,
  empty,
  children,
  className,
}: {
  title: string;
  /** The section's name in `sources` (e.g. `conditions`). */
  name: string;
  data: T[] | null | undefined;
  sources: Source[];
  empty: string;
  children: (items: T[]) => ReactNode;
  className?: string;
}) {
  const id = `section-${name}`;
  const problems = sources.filter((s) => s.section === name && s.status !== 'ok');
  return (
    <section aria-labelledby={id} className={`card ${className ?? ''}`}>
      <h2 id={id}>{title}</h2>
      {data === null || data === undefined ? (
        <p className="error" role="alert">
          {title} could not be loaded:{' '}
          {problems.length === 0
            ? 'the server left this section out.'
            : problems
                .map((p) => `${p.status} (${p.server}: ${p.request}${p.error ? ` — ${p.error}` : ''})`)
                .join('; ')}
        </p>
      ) : (
        <>
          {problems.some((p) => p.status === 'truncated') && (
            <p className="warning">Truncated: more entries exist than one page of the server's limit.</p>
          )}
          {data.length === 0 ? <p className="muted">{empty}</p> : children(data)}
        </>
      )}
    </section>
  );
}
