/**
 * How a websocket notification reaches the clients bound to a Subscription. In process: the
 * instance's own hub. With PostgreSQL (postgres/ping-fanout.ts): NOTIFY on a channel every
 * instance LISTENs to, so a client bound to any instance is pinged for a write taken by another.
 */

/** What a ping is about: `Type/id` and the Patient it concerns. */
export interface PingAbout {
  resource: string;
  patientIds?: string[];
}

export interface PingFanout {
  /** Pings the Subscription's clients on every instance (this one included). */
  publish(subscriptionId: string, about: PingAbout): Promise<void>;
  /** `deliver` is called for every ping published by any instance. */
  start(deliver: (subscriptionId: string, about: PingAbout) => void): Promise<void>;
  close(): Promise<void>;
}

/** One instance: a ping goes straight to this instance's clients. */
export class LocalPingFanout implements PingFanout {
  private deliver: ((id: string, about: PingAbout) => void) | undefined;

  async publish(subscriptionId: string, about: PingAbout): Promise<void> {
    this.deliver?.(subscriptionId, about);
  }

  async start(deliver: (subscriptionId: string, about: PingAbout) => void): Promise<void> {
    this.deliver = deliver;
  }

  async close(): Promise<void> {
    this.deliver = undefined;
  }
}
