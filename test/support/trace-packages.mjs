/**
 * Preload (`node --import …/trace-packages.mjs`) that appends the file of every CommonJS module a
 * process loads from node_modules (imported from an ES module or required from inside a package)
 * to the file named by TRACE_PACKAGES_FILE. No loader hook: that would start a thread of its own
 * and change the RSS the same test measures. For test/idle-memory.e2e.test.ts.
 */
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const out = process.env.TRACE_PACKAGES_FILE;
if (out) {
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const loaded = load.apply(this, arguments);
    try {
      const file = Module._resolveFilename(request, parent, isMain);
      if (file.includes('/node_modules/')) appendFileSync(out, `${file}\n`);
    } catch {
      // a built-in module
    }
    return loaded;
  };
}
