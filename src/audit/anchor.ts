/**
 * External anchors of the audit chain. The local checkpoint (checkpoint.ts) sits beside the key:
 * whoever can read the key can rewrite the chain and sign a matching checkpoint. An anchor is
 * a copy of the signed checkpoint kept where that person cannot write — a file on another
 * host's mount (append-only, e.g. `chattr +a` or a WORM share), a URL of another system, the
 * syslog collector — taken every `intervalSeconds` when the head moved, and once more at
 * shutdown. `audit verify --anchor FILE` then requires the chain to hold every anchored hash
 * at its seq: records up to the last anchor cannot be rewritten, removed or replaced unseen,
 * even with the key.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AuditAnchorConfig } from './anchor-config.js';
import { checkSignedCheckpoint, readCheckpoint, signedCheckpoint, type Checkpoint } from './checkpoint.js';
import { CHECKPOINT_SD_ID } from './syslog-format.js';

export interface AnchorEntry {
  v: number;
  seq: number;
  hash: string;
  hmac: string;
  /** When it was anchored (ISO 8601). */
  at: string;
}

export interface AnchorTargets {
  /** Sends the entry through the syslog export (`checkpointSyslogLine`). */
  syslog?: (entry: AnchorEntry) => void;
}

const POST_TIMEOUT_MS = 10_000;

export class CheckpointAnchor {
  private timer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AuditAnchorConfig,
    private readonly checkpointFile: string,
    private readonly key: Buffer,
    private readonly targets: AnchorTargets,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.anchorNow(), this.config.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Copies the current checkpoint to every target, if it moved since the last copy. Never throws. */
  anchorNow(): Promise<void> {
    this.running = this.running.then(() => this.copy());
    return this.running;
  }

  /** Stops the timer and anchors the final checkpoint (call after the writer has closed). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.anchorNow();
  }

  private async copy(): Promise<void> {
    const state = readCheckpoint(this.checkpointFile, this.key);
    if (state.status !== 'valid') {
      if (state.status === 'invalid')
        this.logger.error(
          { checkpointFile: this.checkpointFile },
          `audit anchor: the checkpoint ${state.reason}; not anchored`,
        );
      return;
    }
    if (state.checkpoint.seq <= this.lastSeq) return;
    const entry: AnchorEntry = { ...signedCheckpoint(this.key, state.checkpoint), at: new Date().toISOString() };
    const failures: string[] = [];
    if (this.config.file) {
      try {
        appendDurably(this.config.file, `${JSON.stringify(entry)}\n`);
      } catch (e) {
        failures.push(`file ${this.config.file}: ${(e as Error).message}`);
      }
    }
    if (this.config.url) {
      try {
        const res = await fetch(this.config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(entry),
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (!res.ok) failures.push(`url: HTTP ${res.status}`);
      } catch (e) {
        failures.push(`url: ${(e as Error).message}`);
      }
    }
    if (this.config.syslog) this.targets.syslog?.(entry);
    // A target that failed gets the next checkpoint; said every time, it must be fixed.
    if (failures.length)
      this.logger.error(
        { seq: entry.seq, failures },
        'audit anchor not stored everywhere: a rewrite of the chain by someone with the key would go unnoticed since the last anchor',
      );
    this.lastSeq = entry.seq;
  }
}

/** Appends and fsyncs (O_APPEND: concurrent writers never interleave inside a line). */
function appendDurably(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The anchored checkpoints in a file: JSON lines as the file target writes them, or syslog
 * lines carrying `[imaging-bridge-checkpoint@32473 v seq hash hmac]` (a collector's log file
 * works as it is); other lines are skipped. Each must be signed with `key` (a wrong key means
 * another log's anchors). Throws with the line number otherwise.
 */
export function readAnchorFile(file: string, key: Buffer): Checkpoint[] {
  const text = readFileSync(file, 'utf8');
  const found: Checkpoint[] = [];
  const sd = new RegExp(`\\[${CHECKPOINT_SD_ID.replace(/[.@]/g, '\\$&')}((?: [a-z]+="[^"\\\\\\]]*")*)\\]`);
  text.split('\n').forEach((line, i) => {
    let candidate: unknown;
    const trimmed = line.trim();
    if (trimmed.startsWith('{')) {
      try {
        candidate = JSON.parse(trimmed);
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON`);
      }
    } else {
      const m = sd.exec(line);
      if (!m) return;
      candidate = Object.fromEntries([...m[1]!.matchAll(/ ([a-z]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    }
    const state = checkSignedCheckpoint(candidate, key);
    if (state.status !== 'valid')
      throw new Error(
        `${file}:${i + 1}: the anchored checkpoint ${state.status === 'invalid' ? state.reason : 'is missing'}`,
      );
    found.push(state.checkpoint);
  });
  return found;
}
