import { session } from './session';

/**
 * Server-Sent Events read with fetch, not EventSource: EventSource cannot send the Authorization
 * header, and a token in the URL would end up in logs and history. The stream is parsed here
 * (event / data lines, blank line ends an event); it reconnects after a drop with a growing pause
 * (1 s doubling to 30 s), and stops when the returned function is called.
 */
export function followEvents<E>(url: string, onEvent: (e: E) => void, onState: (live: boolean) => void): () => void {
  const abort = new AbortController();
  let pause = 1000;
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const headers = new Headers({ accept: 'text/event-stream' });
        const token = session().token;
        if (token) headers.set('authorization', `Bearer ${token}`);
        const res = await fetch(url, { headers, signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState(true);
        pause = 1000;
        await read(res.body, onEvent);
      } catch {
        // dropped or refused: try again below
      }
      onState(false);
      if (abort.signal.aborted) return;
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 30_000);
    }
  };
  void run();
  return () => abort.abort();
}

async function read<E>(body: ReadableStream<Uint8Array>, onEvent: (e: E) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) {
        try {
          onEvent(JSON.parse(data) as E);
        } catch {
          // not ours: ignored
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
}
