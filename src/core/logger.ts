import pino, { type Logger } from 'pino';

/** Structured JSON logs to stderr. Request logs carry method, path (no query: it may hold PHI) and status. */
export function createLogger(level: string, destination?: { write(line: string): unknown }): Logger {
  return pino(
    {
      level,
      base: { service: 'imaging-bridge' },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
