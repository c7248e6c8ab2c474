/**
 * Notifications shared by the instances of one PostgreSQL database (`serve --database`): the
 * rest-hook queue in `work_queue` and websocket pings over LISTEN/NOTIFY, on one small pool.
 */
import { openPool } from '../../core/postgres/pool.js';
import type { NotificationsConfig } from '../config.js';
import type { SharedDelivery } from '../service.js';
import { PgPingFanout } from './ping-fanout.js';
import { PgRestHookQueue } from './rest-hook-queue.js';

interface Log {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export async function openSharedNotifications(
  database: string,
  config: NotificationsConfig,
  logger: Log,
  options: { schema?: string; channel?: string; pollMs?: number } = {},
): Promise<SharedDelivery> {
  // One connection listens for pings; the others claim, complete and publish.
  const pool = openPool(database, { max: 4 });
  try {
    const restHooks = await PgRestHookQueue.open(pool, {
      ...config,
      logger,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    });
    const pings = new PgPingFanout(pool, logger, options.channel);
    return {
      restHooks,
      pings,
      close: async () => {
        await Promise.all([restHooks.close(), pings.close()]);
        await pool.end();
      },
    };
  } catch (e) {
    await pool.end();
    throw e;
  }
}
