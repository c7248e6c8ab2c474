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
