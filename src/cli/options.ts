import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { OPTIONS, kebab, type Config } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';

type Extra = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** Parses the config flags shared by every command plus the command's own. */
export function parseCommandLine(args: string[], env: NodeJS.ProcessEnv, extra: Extra = {}) {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const o of OPTIONS) options[kebab(o.key)] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  Object.assign(options, extra);
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const configFlags: Record<string, string | undefined> = {};
  for (const key of [...OPTIONS.map((o) => kebab(o.key)), 'config']) {
    const v = parsed.values[key];
    if (typeof v === 'string') configFlags[key] = v;
    else if (v === true) configFlags[key] = 'true';
  }
  const config: Config = loadConfig(configFlags, env);
  return {
    config,
    values: parsed.values as Record<string, string | boolean | string[] | undefined>,
    positionals: parsed.positionals,
  };
}

export function optionsHelp(): string {
  return OPTIONS.map(
    (o) => `  --${kebab(o.key).padEnd(20)} ${o.help}${o.values ? ` (${o.values.join('|')})` : ''}`,
  ).join('\n');
}
