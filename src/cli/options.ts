import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { OPTIONS, kebab, type Config } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';

type Extra = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** The parseArgs options of a command: --config, --help, every configuration flag, and the command's own. */
function commandOptions(extra: Extra): Extra {
  const options: Extra = {
    config: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const o of OPTIONS) options[kebab(o.key)] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  return Object.assign(options, extra);
}

/** Bad arguments are exit 2: checked before the configuration is read (whose failures are exit 1). */
export function argumentError(args: string[], extra: Extra): string | undefined {
  try {
    const { positionals } = parseArgs({ args, options: commandOptions(extra), allowPositionals: true, strict: true });
    return positionals.length ? `unexpected argument "${positionals[0]}"` : undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Parses the config flags shared by every command plus the command's own. */
export function parseCommandLine(args: string[], env: NodeJS.ProcessEnv, extra: Extra = {}) {
  const options = commandOptions(extra);
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
