/** Runs a CLI command's function in this process, capturing what it prints. */
import { vi } from 'vitest';

/** `run(args, env)` with console.log and console.error captured: its exit code and printed lines. */
export async function cliInProcess(
  run: (args: string[], env: NodeJS.ProcessEnv) => Promise<number>,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await run(args, env), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}
