/** A rest-hook receiver on loopback: a real HTTP server that keeps what it is sent. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freePort } from '../support/ports.js';
import { startSmartBench, type SmartBench } from './harness.js';

export interface Delivery {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whatever `onDelivery` returned when the request arrived (e.g. the audit records then). */
  seen?: unknown;
}

export interface HookReceiver {
  /** `http://127.0.0.1:<port>/hooks` (allow-list this). */
  base: string;
  deliveries: Delivery[];
  /** Deliveries whose path starts with `base`'s path + `prefix`. */
  to(prefix: string): Delivery[];
  stop(): Promise<void>;
}

/** `onDelivery` runs as each request arrives, before it is answered. */
export async function startHookReceiver(onDelivery?: (d: Delivery) => unknown): Promise<HookReceiver> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const d: Delivery = {
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      d.seen = onDelivery?.(d);
      deliveries.push(d);
      res.end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${port}/hooks`,
    deliveries,
    to: (prefix) => deliveries.filter((d) => d.path.startsWith(`/hooks${prefix}`)),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The smart bench with rest-hooks allow-listed to a receiver (no retries); `stop` stops both. */
export async function startHookBench(
  onDelivery?: (d: Delivery, bench: SmartBench) => unknown,
): Promise<{ bench: SmartBench; hooks: HookReceiver; stop(): Promise<void> }> {
  let bench: SmartBench | undefined;
  const hooks = await startHookReceiver((d) => (bench ? onDelivery?.(d, bench) : undefined));
  bench = await startSmartBench({
    demo: false,
    configFile: {
      notifications: {
        restHookAllowList: [`${hooks.base}/`],
        retries: 0,
        retryBaseDelayMs: 10,
        retryMaxDelayMs: 20,
        timeoutMs: 2000,
      },
    },
  });
  const started = bench;
  return {
    bench: started,
    hooks,
    stop: async () => {
      await started.stop();
      await hooks.stop();
    },
  };
}
