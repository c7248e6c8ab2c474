import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on the loopback interface: listen on port 0,
 * read the assigned port, close. There is a small race until the caller binds it,
 * which is acceptable for tests and benchmarks on one machine.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the assigned port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Several distinct free ports (kept distinct even if the kernel hands one out twice). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count && attempt < count * 10; attempt++) {
    ports.add(await freePort(host));
  }
  if (ports.size < count) throw new Error(`freePorts: only found ${ports.size} of ${count}`);
  return [...ports];
}
