/**
 * Finding 10: the hand-written websocket let any Subscription reader bind anyone's
 * Subscription, outlived its token, held fragmented messages without a total cap (1,500 × 65 KB
 * fragments held 88 MB) and accepted unmasked client frames and invalid UTF-8. Attacks against
 * the real server under --auth smart, with the real `ws` client and, for frames `ws` would never
 * send, a raw TCP socket.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { connectWebSocket } from '../support/websocket-client.js';
import { startSmartBench, type SmartBench } from './harness.js';

const SCOPE = 'user/Subscription.cruds user/Patient.rs';

describe('the Subscription websocket (finding 10)', () => {
  let bench: SmartBench;
  let wsUrl = '';
  beforeAll(async () => {
    bench = await startSmartBench({ demo: false });
    wsUrl = `${bench.url.replace('http', 'ws')}/fhir-ws`;
  }, 120_000);
  afterAll(() => bench?.stop());

  const tokenOf = (who: string, exp?: number) =>
    bench.token({ scope: SCOPE, client: `${who}-app`, sub: who, ...(exp ? { exp } : {}) });
  const websocketSubscription = async (token: string) => {
    const r = await bench.request('POST', '/fhir/Subscription', token, {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'ws test',
      criteria: 'Patient?family=Websocket',
      channel: { type: 'websocket' },
    });
    expect(r.status).toBe(201);
    await waitFor(
      async () =>
        (await bench.get(`/fhir/Subscription/${r.body.id}`, bench.admin)).body.status === 'active' ? true : undefined,
      { timeoutMs: 15_000, what: 'active' },
    );
    return r.body.id as string;
  };

  it("refuses to bind another subscriber's Subscription, binds and pings its own, and records each step", async () => {
    const alice = await tokenOf('alice');
    const id = await websocketSubscription(alice);
    const before = bench.auditHead();
    const mallory = await connectWebSocket(wsUrl, { authorization: `Bearer ${await tokenOf('mallory')}` });
    mallory.send(`bind ${id}`);
    expect(await mallory.next()).toBe(`error ${id}: this Subscription belongs to another subscriber`);
    const own = await connectWebSocket(wsUrl, { authorization: `Bearer ${alice}` });
    own.send(`bind ${id}`);
    expect(await own.next()).toBe(`bound ${id}`);
    const patient = await bench.request('POST', '/fhir/Patient', bench.admin, {
      resourceType: 'Patient',
      name: [{ family: 'Websocket' }],
    });
    expect(await own.next(15_000)).toBe(`ping ${id}`);
    await expect(mallory.next(500)).rejects.toThrow(/no websocket message/);

    const channel = bench
      .auditSince(before)
      .filter((e) => e.subtype?.[0]?.system === 'urn:imaging-bridge:audit' && /^websocket-/.test(e.subtype[0].code));
    const summary = channel.map((e: Json) => [
      e.subtype[0].code,
      e.outcome,
      e.agent.find((a: Json) => a.requestor)?.altId,
    ]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['websocket-open', '0', 'mallory'],
        ['websocket-bind', '4', 'mallory'],
        ['websocket-open', '0', 'alice'],
        ['websocket-bind', '0', 'alice'],
        ['websocket-notification', '0', 'alice'],
      ]),
    );
    const ping = channel.find((e: Json) => e.subtype[0].code === 'websocket-notification');
    expect(ping.entity.map((x: Json) => x.what?.reference)).toEqual(
      expect.arrayContaining([`Patient/${patient.body.id}`, `Subscription/${id}`]),
    );
    mallory.close();
    own.close();
  });

  it('refuses an upgrade without a valid token, and records the refusal', async () => {
    const before = bench.auditHead();
    await expect(connectWebSocket(wsUrl)).rejects.toThrow(/HTTP 401/);
    await expect(
      connectWebSocket(wsUrl, { authorization: `Bearer ${await bench.token({ scope: 'user/Patient.rs' })}` }),
    ).rejects.toThrow(/HTTP 403/);
    const opens = bench.auditSince(before).filter((e) => e.subtype?.[0]?.code === 'websocket-open');
    expect(opens.map((e: Json) => [e.outcome, e.outcomeDesc])).toEqual([
      ['4', 'an access token is required'],
      ['4', 'this needs the scope Subscription.r'],
    ]);
  });

  it('closes the socket when its token expires (close code 1008), even while bound', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3;
    const token = await tokenOf('brief', exp);
    const id = await websocketSubscription(token);
    const ws = await connectWebSocket(wsUrl, { authorization: `Bearer ${token}` });
    ws.send(`bind ${id}`);
    expect(await ws.next()).toBe(`bound ${id}`);
    const closed = await Promise.race([ws.closed, new Promise((r) => setTimeout(() => r('still open'), 8000))]);
    expect(closed).toEqual({ code: 1008, reason: 'the access token has expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
  });

  it('closes a fragment flood at the message cap (1009) without holding it in memory', async () => {
    const raw = await rawSocket(bench, await tokenOf('flooder'));
    const fragment = randomBytes(65_000);
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    let sent = 0;
    for (let i = 0; i < 1500 && !raw.closed; i++) {
      const more = raw.socket.write(frame(i === 0 ? 0x1 : 0x0, fragment, { fin: false }));
      sent++;
      await (more
        ? new Promise((r) => setImmediate(r))
        : Promise.race([new Promise((r) => raw.socket.once('drain', r)), raw.closeCode]));
    }
    const code = await raw.closeCode;
    expect(code).toBe(1009);
    expect(sent).toBeLessThan(1500); // the server hung up long before the flood was over
    expect(process.memoryUsage().arrayBuffers - arrayBuffersBefore).toBeLessThan(32 * 1024 * 1024);

    const tiny = await rawSocket(bench, await tokenOf('flooder'));
    for (let i = 0; i < 200 && !tiny.closed; i++) {
      tiny.socket.write(frame(i === 0 ? 0x1 : 0x0, Buffer.alloc(100, 0x61), { fin: false }));
      await new Promise((r) => setImmediate(r));
    }
    expect(await tiny.closeCode).toBe(1009); // many small fragments add up to the same cap
  });

  it('closes on an unmasked client frame (1002) and on invalid UTF-8 (1007)', async () => {
    const unmasked = await rawSocket(bench, await tokenOf('raw'));
    unmasked.socket.write(frame(0x1, Buffer.from('bind x'), { mask: false }));
    expect(await unmasked.closeCode).toBe(1002);

    const badText = await rawSocket(bench, await tokenOf('raw'));
    badText.socket.write(frame(0x1, Buffer.from([0x62, 0x69, 0x6e, 0x64, 0x20, 0xc3, 0x28])));
    expect(await badText.closeCode).toBe(1007);
  });
});

/** A client frame (masked unless told otherwise). */
function frame(opcode: number, payload: Buffer, o: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const mask = o.mask ?? true;
  const len = payload.length;
  const head = Buffer.alloc(2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + (mask ? 4 : 0));
  head[0] = ((o.fin ?? true) ? 0x80 : 0) | opcode;
  let at = 2;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
    at = 4;
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
    at = 10;
  }
  if (!mask) return Buffer.concat([head, payload]);
  head[1]! |= 0x80;
  const key = randomBytes(4);
  key.copy(head, at);
  return Buffer.concat([head, Buffer.from(payload.map((b, i) => b ^ key[i & 3]!))]);
}

/** An upgraded raw TCP connection: the close code the server sends (or 0 when it just hangs up). */
async function rawSocket(
  bench: SmartBench,
  token: string,
): Promise<{ socket: Socket; closed: boolean; closeCode: Promise<number> }> {
  const url = new URL(bench.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    `GET /fhir-ws HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!buffered.subarray(0, 12).toString().includes('101')) return reject(new Error(buffered.toString()));
      buffered = buffered.subarray(end + 4);
      resolve();
    };
    socket.on('data', onData);
  });
  const state = { socket, closed: false, closeCode: Promise.resolve(0) };
  state.closeCode = new Promise<number>((resolve) => {
    const look = () => {
      // A server close frame: 0x88, length, then the 2-byte code.
      const at = buffered.indexOf(0x88);
      if (at >= 0 && buffered.length >= at + 4) resolve(buffered.readUInt16BE(at + 2));
    };
    socket.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      look();
    });
    socket.on('close', () => {
      state.closed = true;
      look();
      resolve(0);
    });
    look();
  });
  void state.closeCode.then(() => (state.closed = true));
  return state;
}
