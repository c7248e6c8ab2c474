import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';

/** Keeps the last `limit` characters of a child's output for failure messages. */
class OutputTail {
  private text = '';
  constructor(private readonly limit = 32_768) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

/** Children still running; killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllManaged);
}

/** SIGKILLs every child started here that is still running (for signal handlers). */
export function killAllManaged(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Whether a process with this pid is still running (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reads a `Vm…:  1234 kB` field of /proc/<pid>/status; undefined when the process is gone. */
export function readProcStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Last part of stdout+stderr. */
  output(): string;
  /** Peak resident set size (VmHWM) in kB; the last value seen once the process is gone. */
  peakRssKb(): number;
  /** Resets the kernel's peak-RSS mark (writes 5 to /proc/<pid>/clear_refs); false if not permitted. */
  resetPeakRss(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Name used in error messages. */
  name: string;
}

export function spawnManaged(command: string, args: string[], opts: SpawnOptions): ManagedProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = new OutputTail();
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    tail.push(`\n[spawn error] ${err.message}\n`);
  });
  if (child.pid === undefined) throw new Error(`${opts.name}: failed to spawn ${command}`);
  const pid = child.pid;
  trackForExit(child);
  child.stdout?.on('data', (c: Buffer) => tail.push(c));
  child.stderr?.on('data', (c: Buffer) => tail.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
    if (spawnError) resolve({ code: null, signal: null });
  });
  let lastPeak = 0;
  const peakRssKb = (): number => {
    const now = readProcStatusKb(pid, 'VmHWM');
    if (now !== undefined && child.exitCode === null) lastPeak = now;
    return lastPeak;
  };
  return {
    pid,
    child,
    exited,
    output: () => tail.toString(),
    peakRssKb,
    resetPeakRss: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        lastPeak = 0;
        return true;
      } catch {
        return false;
      }
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      peakRssKb();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One GET; resolves with the status code (0 on connection errors). */
export function httpStatus(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(0));
    req.end();
  });
}

/**
 * Polls `url` until it answers 200, the process exits, or `timeoutMs` passes.
 * Rejects with the process output in the message when it fails.
 */
export async function waitForHttpOk(url: string, proc: ManagedProcess, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  let lastStatus = 0;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${name} exited before ${url} answered 200.\n--- output ---\n${proc.output()}`);
    }
    lastStatus = await httpStatus(url, 1_000);
    if (lastStatus === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop(2_000);
  throw new Error(
    `${name}: ${url} did not answer 200 within ${timeoutMs} ms (last status ${lastStatus}).\n--- output ---\n${proc.output()}`,
  );
}
