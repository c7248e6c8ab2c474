import type { ImportProgress } from '../archive/bulk-import.js';

/** A progress bar on a terminal; a line every few seconds otherwise (logs, CI). */
export function progressReporter(out: NodeJS.WriteStream) {
  const tty = Boolean(out.isTTY);
  let last = 0;
  const line = (p: ImportProgress) => {
    const width = 30;
    const filled = p.total ? Math.round((p.done / p.total) * width) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}  stored ${p.stored}  duplicate ${p.duplicate}  refused ${p.refused}`;
  };
  return {
    update(p: ImportProgress) {
      const now = Date.now();
      if (tty && now - last > 100) {
        out.write(`\r${line(p)}`);
        last = now;
      } else if (!tty && now - last > 5000) {
        out.write(`${line(p)}\n`);
        last = now;
      }
    },
    finish(p: ImportProgress) {
      out.write(`${(tty ? '\r' : '') + line(p)}\n`);
    },
  };
}

/** A plain n/total bar (TTY) or a line every few seconds (logs): `(done, total) => void`. */
export function progressBar(out: NodeJS.WriteStream): (done: number, total: number) => void {
  const tty = Boolean(out.isTTY);
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    const finished = done === total;
    if (!finished && now - last < (tty ? 100 : 5000)) return;
    last = now;
    const filled = total ? Math.round((done / total) * 30) : 30;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${done}/${total}`;
    out.write(tty ? `\r${line}${finished ? '\n' : ''}` : `${line}\n`);
  };
}
