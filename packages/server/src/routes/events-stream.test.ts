import type { DeviceEvent, TrafficEvent } from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../test-support/seed.test-util.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

interface Received {
  id: number;
  event: string;
  data: { id: number; type: string; deviceId?: string | null; alertId?: string };
}

/** An open event stream, parsed as it arrives. */
async function openStream(headers: Record<string, string> = {}, query = "") {
  const controller = new AbortController();
  const response = await fetch(`${fixture.base}/api/v1/events/stream${query}`, {
    headers: { cookie: client.cookie, ...headers },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const received: Received[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split("\n")
              .filter((line) => !line.startsWith(":") && line.includes(": "))
              .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
          );
          if (fields.id !== undefined) {
            received.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data!) });
          }
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    received,
    async waitFor(count: number, timeoutMs = 5000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return received;
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

function deviceEvent(n: number): DeviceEvent {
  return { type: "device_online", time: T0 + n, deviceId: "dev-02000000003", mac: "02:00:00:00:00:03" };
}

describe("event stream", () => {
  it("replays what followed Last-Event-ID, then streams what another process writes", async () => {
    const all = fixture.writer.events.since(0);
    expect(all.length).toBeGreaterThan(3);
    const after = all[1]!.id;
    const stream = await openStream({ "last-event-id": String(after) });
    const missed = await stream.waitFor(all.length - 2);
    expect(missed.map((r) => r.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(missed.map((r) => r.event)).toEqual(all.slice(2).map((e) => e.event.type));
    expect(missed[0]!.data).toMatchObject({ id: all[2]!.id, ...all[2]!.event });

    const id = fixture.writer.events.append(deviceEvent(1));
    const live = await stream.waitFor(all.length - 1);
    expect(live.at(-1)).toMatchObject({ id, event: "device_online", data: { deviceId: "dev-02000000003" } });
    await stream.close();
  });

  it("gives a client that reconnects exactly the events it missed", async () => {
    const stream = await openStream();
    const first = fixture.writer.events.append(deviceEvent(2));
    await stream.waitFor(1);
    await stream.close();
    expect(stream.received.map((r) => r.id)).toEqual([first]);

    const missed = [3, 4, 5].map((n) => fixture.writer.events.append(deviceEvent(n)));
    const again = await openStream({ "last-event-id": String(first) });
    await again.waitFor(3);
    const later = fixture.writer.events.append(deviceEvent(6));
    await again.waitFor(4);
    expect(again.received.map((r) => r.id)).toEqual([...missed, later]);
    await again.close();
  });

  it("starts with what comes next for a new client, and accepts ?lastEventId for clients that cannot set headers", async () => {
    const last = fixture.writer.events.lastId();
    const fresh = await openStream();
    const byQuery = await openStream({}, `?lastEventId=${last - 1}`);
    await byQuery.waitFor(1);
    const next = fixture.writer.events.append(deviceEvent(7));
    await fresh.waitFor(1);
    await byQuery.waitFor(2);
    expect(fresh.received.map((r) => r.id)).toEqual([next]);
    expect(byQuery.received.map((r) => r.id)).toEqual([last, next]);
    await fresh.close();
    await byQuery.close();
  });

  it("streams an acknowledgement made through the API", async () => {
    const stream = await openStream();
    const ack = await fixture.request("/api/v1/alerts/alert-000003/acknowledge", { method: "POST", client });
    expect(ack.status).toBe(200);
    const [event] = await stream.waitFor(1);
    expect(event).toMatchObject({ event: "alert_acknowledged", data: { alertId: "alert-000003" } });
    await stream.close();
  });

  it("streams a traffic minute stored with the rest, and replays it after Last-Event-ID", async () => {
    const before = fixture.writer.events.lastId();
    const stream = await openStream();
    const minute: TrafficEvent = {
      type: "traffic",
      time: T0,
      deviceId: null,
      bytesUp: 10,
      bytesDown: 20,
      packets: 3,
      flows: 1,
      devices: 1,
      topDevices: [{ deviceId: "dev-02000000001", bytes: 30 }],
    };
    const id = fixture.writer.events.append(minute);
    const [event] = await stream.waitFor(1);
    expect(event).toMatchObject({ id, event: "traffic", data: { bytesDown: 20, topDevices: minute.topDevices } });
    await stream.close();
    const again = await openStream({ "last-event-id": String(before) });
    expect((await again.waitFor(1)).map((r) => [r.id, r.event])).toEqual([[id, "traffic"]]);
    await again.close();
  });

  it("refuses a Last-Event-ID that is not an event id, naming it, and a stream without a session", async () => {
    const bad = await fixture.request("/api/v1/events/stream", { client, headers: { "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: "last-event-id" });
    expect((await fetch(`${fixture.base}/api/v1/events/stream`)).status).toBe(401);
  });
});
