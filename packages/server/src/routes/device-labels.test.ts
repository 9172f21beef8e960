import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanLabelText } from "../data/device-labels.js";
import { deviceRecord, T0 } from "../test-support/seed.test-util.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

const DEV1 = "dev-02000000001";
const DEV2 = "dev-02000000002";
const patch = (id: string, body: unknown, options: { client?: Client | undefined; csrf?: string | null } = {}) =>
  fixture.request(`/api/v1/devices/${encodeURIComponent(id)}`, {
    method: "PATCH",
    body,
    client: "client" in options ? options.client : client,
    ...(options.csrf === undefined ? {} : { csrf: options.csrf }),
  });

interface Summary {
  id: string;
  name: string | null;
  discoveredName: string | null;
  userName: string | null;
  label: string | null;
}

describe("PATCH /devices/{id}", () => {
  it("names and labels a device: the user's name wins, the discovered one stays, search finds it", async () => {
    const lastEvent = fixture.writer.events.lastId();
    const response = await patch(DEV1, { name: "  Lucas' phone ", label: "kids", notes: "Bought 2024\nblue case" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: DEV1,
      name: "Lucas' phone",
      discoveredName: "host-1",
      userName: "Lucas' phone",
      label: "kids",
    });

    const list = await fixture.get<{ devices: Summary[] }>("/api/v1/devices", client);
    expect(list.devices.find((d) => d.id === DEV1)?.name).toBe("Lucas' phone");
    for (const search of ["lucas", "KIDS", "blue case"]) {
      const found = await fixture.get<{ devices: Summary[] }>(
        `/api/v1/devices?search=${encodeURIComponent(search)}`,
        client,
      );
      expect(found.devices.map((d) => d.id)).toEqual([DEV1]);
    }
    const detail = await fixture.get<{
      summary: Summary;
      labels: Record<string, unknown>;
      device: { hostnames: { name: string }[] };
    }>(`/api/v1/devices/${DEV1}`, client);
    expect(detail.summary.name).toBe("Lucas' phone");
    expect(detail.labels).toMatchObject({ name: "Lucas' phone", label: "kids", notes: "Bought 2024\nblue case" });
    expect(detail.device.hostnames.map((h) => h.name)).toEqual(["host-1"]);

    // Other dashboards hear of it on the event stream.
    expect(fixture.writer.events.since(lastEvent).map((e) => e.event)).toEqual([
      expect.objectContaining({
        type: "device_changed",
        deviceId: DEV1,
        by: "user",
        changes: [
          { field: "name", from: null, to: "Lucas' phone" },
          { field: "label", from: null, to: "kids" },
          { field: "notes", from: null, to: "Bought 2024\nblue case" },
        ],
      }),
    ]);
  });

  it("announces a rename at once on an open event stream", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${fixture.base}/api/v1/events/stream`, {
      headers: { cookie: client.cookie },
      signal: controller.signal,
    });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read(); // "retry:": the stream is open, and starts after the newest event
    expect((await patch(DEV1, { label: "family" })).status).toBe(200);
    let text = "";
    while (!text.includes("\n\n") || !text.includes("device_changed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    expect(text).toContain("event: device_changed");
    const data = JSON.parse(/data: (.*)/.exec(text)![1]!) as Record<string, unknown>;
    expect(data).toMatchObject({
      deviceId: DEV1,
      by: "user",
      changes: [{ field: "label", from: "kids", to: "family" }],
    });
    await patch(DEV1, { label: "kids" });
  });

  it("keeps the user's name when an analysis writes the device again with a new hostname", async () => {
    await patch(DEV2, { name: "Hallway lamp" });
    fixture.writer.devices.upsert(
      deviceRecord(2, {
        lastSeen: T0 + 5 * 3_600_000,
        hostnames: [{ name: "philips-hue-2", source: "dhcp", firstSeen: T0, lastSeen: T0 + 5 * 3_600_000 }],
      }),
    );
    const detail = await fixture.get<{ summary: Summary }>(`/api/v1/devices/${DEV2}`, client);
    expect(detail.summary).toMatchObject({ name: "Hallway lamp", discoveredName: "philips-hue-2" });
  });

  it("changes only the fields given, and null or empty clears one (the discovered name is back)", async () => {
    await patch(DEV2, { label: "IoT" });
    const cleared = (await (await patch(DEV2, { name: "" })).json()) as Summary;
    expect(cleared).toMatchObject({ name: "philips-hue-2", userName: null, label: "IoT" });
    const lastEvent = fixture.writer.events.lastId();
    expect((await patch(DEV2, { name: null })).status).toBe(200);
    expect(fixture.writer.events.since(lastEvent)).toEqual([]); // nothing changed, nothing announced
    await patch(DEV2, { label: null });
    const detail = await fixture.get<{ labels: unknown }>(`/api/v1/devices/${DEV2}`, client);
    expect(detail.labels).toBeNull();
  });

  it.each([
    [{ name: "x".repeat(65) }, "name", /body.name must NOT have more than 64 characters/],
    [{ label: "y".repeat(33) }, "label", /body.label must NOT have more than 32 characters/],
    [{ notes: "z".repeat(1001) }, "notes", /body.notes/],
    [{ name: "evil\u0007bell" }, "name", /body.name must not contain control characters \(U\+0007/],
    [{ label: "a\nb" }, "label", /body.label must not contain control characters/],
    [{ name: "\u202egnp.exe" }, "name", /U\+202E/],
    [{ notes: "tab\tand\nnewline ok, but \u0000 not" }, "notes", /body.notes must not contain/],
    [{ name: { first: "x" } }, "name", /body.name/],
    [{ nickname: "x" }, "nickname", /body.nickname is not a known field/],
    [{}, "body", /at least one of name, label, notes/],
  ])("refuses %j with 400 naming %s", async (body, field, message) => {
    const response = await patch(DEV1, body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { field: string; message: string };
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it("answers 404 for an unknown device, 401 without a session and 403 without the CSRF token", async () => {
    expect((await patch("dev-nope", { name: "x" })).status).toBe(404);
    expect((await patch(DEV1, { name: "x" }, { client: undefined })).status).toBe(401);
    const forbidden = await patch(DEV1, { name: "x" }, { csrf: null });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { field: string }).field).toBe("X-CSRF-Token");
    const detail = await fixture.get<{ summary: Summary }>(`/api/v1/devices/${DEV1}`, client);
    expect(detail.summary.name).toBe("Lucas' phone");
  });
});

describe("cleanLabelText", () => {
  it("returns trimmed text without control characters, or throws naming the field", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("name", "label", "notes") as fc.Arbitrary<"name" | "label" | "notes">,
        fc.string({ unit: "binary" }),
        (field, text) => {
          let cleaned: string | null;
          try {
            cleaned = cleanLabelText(field, text);
          } catch (error) {
            expect(error).toMatchObject({ statusCode: 400, field });
            expect((error as Error).message).toContain(`body.${field}`);
            return;
          }
          if (cleaned === null) {
            expect(text.trim()).toBe("");
            return;
          }
          expect(cleaned).toBe(text.trim());
          const allowed = field === "notes" ? /[\n\t]/g : /$^/g;
          expect(
            /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(cleaned.replace(allowed, "")),
          ).toBe(false);
        },
      ),
    );
  });
});
