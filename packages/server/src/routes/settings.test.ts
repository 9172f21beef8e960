import { UserSettings } from "@heimdal/core";
import { MIGRATIONS } from "@heimdal/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Block, BlockingController, BlockRequest } from "../blocking.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

const NOW = Date.UTC(2026, 5, 1);

describe("exclusions, mutes and configuration", () => {
  let fixture: Fixture;
  let client: Client;
  beforeAll(async () => {
    fixture = await startFixture({ now: () => NOW });
    client = await fixture.login();
  });
  afterAll(() => fixture.close());
  const stored = () => new UserSettings(fixture.writer.kv);

  it("adds, lists and removes exclusions, stored where `heimdal analyze --db` reads them", async () => {
    const entry = { id: "nas", comment: "nightly backup", deviceId: "dev-02000000002", port: "tcp/22" };
    const added = await fixture.request("/api/v1/exclusions", { method: "POST", client, body: entry });
    expect(added.status).toBe(201);
    expect((await fixture.get<{ exclusions: unknown[] }>("/api/v1/exclusions", client)).exclusions).toEqual([entry]);
    expect(stored().exclusions()).toEqual([{ ...entry, hits: 0 }]);
    expect((await fixture.request("/api/v1/exclusions/nas", { method: "DELETE", client })).status).toBe(204);
    expect((await fixture.request("/api/v1/exclusions/nas", { method: "DELETE", client })).status).toBe(404);
    expect(stored().exclusionEntries()).toEqual([]);
  });

  it.each([
    [{ id: "x", comment: "c", port: "tcp/99999" }, "exclusions[0].port", /port must look like "tcp\/443"/],
    [{ id: "x", comment: "c" }, "exclusions[0]", /must match on at least one of/],
    [{ id: "x", comment: "c", deviceId: "d", expires: "tomorrow" }, "exclusions[0].expires", /ISO 8601/],
    [{ id: "x", deviceId: "d" }, "comment", /^body\.comment is required$/],
    [{ id: "x", comment: "c", type: "port-scan" }, "type", /^body\.type must be one of new_device, /],
  ])("refuses an invalid exclusion %j naming %s", async (body, field, message) => {
    const response = await fixture.request("/api/v1/exclusions", { method: "POST", client, body });
    expect(response.status).toBe(400);
    const error = (await response.json()) as { field: string; message: string };
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it("mutes a device–destination pair until a time, listed apart and removable", async () => {
    const response = await fixture.request("/api/v1/mutes", {
      method: "POST",
      client,
      body: { deviceId: "dev-02000000001", destination: "Ads.Example", expires: "2026-07-01T00:00:00Z" },
    });
    expect(response.status).toBe(201);
    const mute = (await response.json()) as { id: string };
    expect(mute).toEqual({
      id: "mute:dev-02000000001|ads.example",
      comment: "muted by admin",
      deviceId: "dev-02000000001",
      destination: "ads.example",
      expires: "2026-07-01T00:00:00Z",
    });
    expect(stored().exclusions()).toEqual([
      expect.objectContaining({ id: mute.id, destination: "ads.example", expires: Date.UTC(2026, 6, 1) }),
    ]);
    await fixture.request("/api/v1/exclusions", {
      method: "POST",
      client,
      body: { id: "other", comment: "c", port: "tcp/22" },
    });
    expect((await fixture.get<{ exclusions: { id: string }[] }>("/api/v1/mutes", client)).exclusions).toEqual([mute]);
    const bad = await fixture.request("/api/v1/mutes", {
      method: "POST",
      client,
      body: { deviceId: "d", destination: "a.example", expires: "soon" },
    });
    expect(await bad.json()).toMatchObject({ statusCode: 400, field: "exclusions[0].expires" });
    expect(
      (await fixture.request(`/api/v1/exclusions/${encodeURIComponent(mute.id)}`, { method: "DELETE", client })).status,
    ).toBe(204);
  });

  it("reads and changes sensitivity, validated like --sensitivity", async () => {
    const config = await fixture.get<{ sensitivity: unknown; server: Record<string, unknown> }>(
      "/api/v1/config",
      client,
    );
    expect(config.sensitivity).toEqual({ settings: [], effective: {} });
    expect(config.server).toMatchObject({ host: "127.0.0.1", tls: false, localhostNoLogin: false, blocking: false });
    const patched = await fixture.request("/api/v1/config", {
      method: "PATCH",
      client,
      body: { sensitivity: ["0.7", "port_scan=0.9"] },
    });
    expect(((await patched.json()) as { sensitivity: unknown }).sensitivity).toEqual({
      settings: ["0.7", "port_scan=0.9"],
      effective: { global: 0.7, detectors: { port_scan: 0.9 } },
    });
    expect(stored().sensitivity()).toEqual(["0.7", "port_scan=0.9"]);
    const bad = await fixture.request("/api/v1/config", {
      method: "PATCH",
      client,
      body: { sensitivity: ["0.5", "1.5"] },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      field: "sensitivity[1]",
      message: expect.stringContaining('sensitivity[1] ("1.5") must be a number from 0 to 1'),
    });
    expect(stored().sensitivity()).toEqual(["0.7", "port_scan=0.9"]);
    const unknown = await fixture.request("/api/v1/config", { method: "PATCH", client, body: { port: 80 } });
    expect(await unknown.json()).toMatchObject({ message: "body.port is not a known field", field: "port" });
  });

  it("reports status: versions, database, counts and components", async () => {
    const status = await fixture.get<{
      versions: { api: string; schema: number; node: string };
      database: { path: string; sizeBytes: number };
      counts: Record<string, unknown>;
      components: { name: string; state: string }[];
      capture: unknown;
    }>("/api/v1/status", client);
    expect(status.versions).toMatchObject({ api: "v1", schema: MIGRATIONS.length, node: process.versions.node });
    expect(status.database.path).toBe(fixture.databasePath);
    expect(status.database.sizeBytes).toBeGreaterThan(0);
    expect(status.counts).toMatchObject({ devices: 4, devicesOnline: 3, alerts: 5, unacknowledgedAlerts: 5 });
    expect(status.counts.lastEventId).toBe(fixture.writer.events.lastId());
    expect(status.components.map((c) => [c.name, c.state])).toEqual([
      ["database", "ok"],
      ["event-stream", "ok"],
      ["blocking", "unavailable"],
    ]);
    expect(status.capture).toBeNull();
  });
});

describe("blocking", () => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("answers 503 with the reason on every blocking endpoint when no controller is configured", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    for (const [method, path, body] of [
      ["GET", "/api/v1/blocking", undefined],
      ["POST", "/api/v1/blocking", { target: { kind: "device", deviceId: "dev-02000000001" } }],
      ["DELETE", "/api/v1/blocking/b1", undefined],
    ] as const) {
      const response = await fixture.request(path, { method, client, body });
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(await response.json()).toMatchObject({ message: expect.stringMatching(/^Blocking is not available/) });
    }
  });

  it("asks the controller to block and unblock, saying who decided and until when", async () => {
    const requests: BlockRequest[] = [];
    const blocks = new Map<string, Block>();
    // The outer edge: the real controller drives nftables; this one records what it is asked.
    const controller: BlockingController = {
      async block(request) {
        requests.push(request);
        const block = { ...request, id: `b${blocks.size + 1}`, createdAt: NOW };
        blocks.set(block.id, block);
        return block;
      },
      async unblock(id) {
        return blocks.delete(id);
      },
      async list() {
        return [...blocks.values()];
      },
    };
    fixture = await startFixture({ blocking: controller, now: () => NOW });
    const client = await fixture.login();
    const created = await fixture.request("/api/v1/blocking", {
      method: "POST",
      client,
      body: { target: { kind: "destination", destination: "evil.example" }, expires: "2026-06-02T00:00:00Z" },
    });
    expect(created.status).toBe(201);
    expect(requests).toEqual([
      {
        target: { kind: "destination", destination: "evil.example" },
        expiresAt: Date.UTC(2026, 5, 2),
        decidedBy: "admin",
        reason: "blocked from the dashboard",
      },
    ]);
    expect(
      (await fixture.get<{ blocks: { id: string }[] }>("/api/v1/blocking", client)).blocks.map((b) => b.id),
    ).toEqual(["b1"]);
    const past = await fixture.request("/api/v1/blocking", {
      method: "POST",
      client,
      body: { target: { kind: "device", deviceId: "dev-02000000001" }, expires: "2020-01-01T00:00:00Z" },
    });
    expect(await past.json()).toMatchObject({ statusCode: 400, field: "expires" });
    const notATime = await fixture.request("/api/v1/blocking", {
      method: "POST",
      client,
      body: { target: { kind: "device", deviceId: "dev-02000000001" }, expires: "next week" },
    });
    expect(await notATime.json()).toMatchObject({
      statusCode: 400,
      field: "expires",
      message: 'body.expires must be an ISO 8601 time, got "next week"',
    });
    const unknownDevice = await fixture.request("/api/v1/blocking", {
      method: "POST",
      client,
      body: { target: { kind: "device", deviceId: "dev-nope" } },
    });
    expect(await unknownDevice.json()).toMatchObject({ statusCode: 400, field: "target.deviceId" });
    expect(requests).toHaveLength(1);
    expect((await fixture.request("/api/v1/blocking/b1", { method: "DELETE", client })).status).toBe(204);
    expect((await fixture.request("/api/v1/blocking/b1", { method: "DELETE", client })).status).toBe(404);
    const status = await fixture.get<{ components: { name: string; state: string }[] }>("/api/v1/status", client);
    expect(status.components).toContainEqual({ name: "blocking", state: "ok" });
  });
});
