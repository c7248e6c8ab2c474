/**
 * Carries the fragments of one C-STORE data set from the socket to the archive while they
 * arrive. Above `highWater` buffered bytes it asks the producer to pause (the socket stops
 * reading, TCP pushes back on the sender) and resumes it below `lowWater`. Once the
 * consumer stops reading (the store failed early), further chunks are dropped so the
 * association can still read the rest of the message and answer with a status.
 */
export interface Flow {
  pause(): void;
  resume(): void;
}

export class ChunkQueue implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private abandoned = false;
  private paused = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly flow: Flow,
    private readonly highWater = 8 * 1024 * 1024,
    private readonly lowWater = 2 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    if (this.ended || this.abandoned) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.paused && this.bytes >= this.highWater) {
      this.paused = true;
      this.flow.pause();
    }
    this.signal();
  }

  end(): void {
    this.ended = true;
    this.signal();
  }

  /** The producer went away (association aborted): the consumer sees this error. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.signal();
  }

  /** The consumer is done (successfully or not): drop what is left and never pause again. */
  abandon(): void {
    this.abandoned = true;
    this.chunks = [];
    this.bytes = 0;
    this.resumeIfPaused();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    while (true) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.bytes -= chunk.length;
        if (this.bytes <= this.lowWater) this.resumeIfPaused();
        yield chunk;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private resumeIfPaused(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flow.resume();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
