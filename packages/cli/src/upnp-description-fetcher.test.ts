/**
 * The UPnP description fetcher against a real HTTP server on loopback, playing the device: it
 * serves a description, a redirect, an endless body and a request that never answers.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { UpnpDescription } from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpnpDescriptionFetcher } from "./upnp-description-fetcher.js";

const DESCRIPTION = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
<friendlyName>&lt;script&gt;alert(1)&lt;/script&gt; TV</friendlyName>
<manufacturer>Samsung Electronics</manufacturer><modelName>UE55MU6400</modelName></device></root>`;

let server: Server;
let port: number;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? "");
    if (request.url === "/desc.xml") {
      response.writeHead(200, { "content-type": "text/xml" }).end(DESCRIPTION);
    } else if (request.url === "/moved") {
      response.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
    } else if (request.url === "/endless") {
      response.writeHead(200, { "content-type": "text/xml" });
      response.write("<root><device><friendlyName>Endless</friendlyName>");
      const filler = "x".repeat(16_384);
      const pump = () => {
        while (response.write(filler)) {
          if (response.destroyed) return;
        }
        response.once("drain", pump);
      };
      pump();
    } else if (request.url === "/silent") {
      // Never answers.
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function fetcherFor(options: { timeoutMs?: number; now?: () => number } = {}) {
  const applied: { deviceId: string; description: UpnpDescription }[] = [];
  const problems: string[] = [];
  const fetcher = new UpnpDescriptionFetcher({
    inSubnet: (ip) => ip === "127.0.0.1",
    apply: (deviceId, description) => applied.push({ deviceId, description }),
    onProblem: (_, message) => problems.push(message),
    ...options,
  });
  return { fetcher, applied, problems };
}

describe("UpnpDescriptionFetcher", () => {
  it("fetches the announced description and hands over what it says, as text", async () => {
    const { fetcher, applied } = fetcherFor();
    fetcher.offer("dev-1", `http://127.0.0.1:${port}/desc.xml`, "127.0.0.1");
    await fetcher.idle();
    expect(applied).toEqual([
      {
        deviceId: "dev-1",
        description: {
          friendlyName: "<script>alert(1)</script> TV",
          manufacturer: "Samsung Electronics",
          modelName: "UE55MU6400",
          modelNumber: null,
          deviceType: "urn:schemas-upnp-org:device:MediaRenderer:1",
        },
      },
    ]);
    expect(fetcher.health()).toEqual({ fetched: 1, failed: 0, refused: 0 });
  });

  it("fetches a device once a day, however often it announces", async () => {
    let now = 0;
    const { fetcher, applied } = fetcherFor({ now: () => now });
    const before = requests.length;
    for (let i = 0; i < 5; i++) fetcher.offer("dev-2", `http://127.0.0.1:${port}/desc.xml`, "127.0.0.1");
    await fetcher.idle();
    now += 86_400_000;
    fetcher.offer("dev-2", `http://127.0.0.1:${port}/desc.xml`, "127.0.0.1");
    await fetcher.idle();
    expect(requests.length - before).toBe(2);
    expect(applied).toHaveLength(2);
  });

  it("refuses another host, another address than the sender's, and an address outside the subnet, without a request", async () => {
    const { fetcher, problems } = fetcherFor();
    const before = requests.length;
    fetcher.offer("a", `http://127.0.0.2:${port}/desc.xml`, "127.0.0.1");
    fetcher.offer("b", `http://localhost:${port}/desc.xml`, "127.0.0.1");
    fetcher.offer("c", "http://10.9.9.9/desc.xml", "10.9.9.9");
    await fetcher.idle();
    expect(requests.length).toBe(before);
    expect(fetcher.health()).toEqual({ fetched: 0, failed: 0, refused: 3 });
    expect(problems).toEqual([
      `UPnP LOCATION "http://127.0.0.2:${port}/desc.xml" refused: names 127.0.0.2, not the announcing device 127.0.0.1`,
      `UPnP LOCATION "http://localhost:${port}/desc.xml" refused: not http:// to an IPv4 address`,
      'UPnP LOCATION "http://10.9.9.9/desc.xml" refused: outside the scanned subnet',
    ]);
  });

  it("does not follow redirects, stops reading at 64 KiB, gives up after its timeout", async () => {
    const { fetcher, applied, problems } = fetcherFor({ timeoutMs: 1500 });
    fetcher.offer("moved", `http://127.0.0.1:${port}/moved`, "127.0.0.1");
    fetcher.offer("endless", `http://127.0.0.1:${port}/endless`, "127.0.0.1");
    fetcher.offer("silent", `http://127.0.0.1:${port}/silent`, "127.0.0.1");
    fetcher.offer("missing", `http://127.0.0.1:${port}/nothing`, "127.0.0.1");
    await fetcher.idle();
    expect(requests).not.toContain("/elsewhere");
    // The endless body was cut: its name is read from the first 64 KiB, and the rest never.
    expect(applied.map((a) => [a.deviceId, a.description.friendlyName])).toEqual([["endless", "Endless"]]);
    expect(problems.sort()).toEqual(
      [
        `UPnP description http://127.0.0.1:${port}/moved: HTTP 302`,
        `UPnP description http://127.0.0.1:${port}/nothing: HTTP 404`,
        `UPnP description http://127.0.0.1:${port}/silent: timed out`,
      ].sort(),
    );
  }, 10_000);

  it("after stop, fetches nothing more until resumed", async () => {
    const { fetcher, applied } = fetcherFor();
    fetcher.stop();
    fetcher.offer("dev-3", `http://127.0.0.1:${port}/desc.xml`, "127.0.0.1");
    await fetcher.idle();
    expect(applied).toEqual([]);
    fetcher.resume();
    fetcher.offer("dev-3", `http://127.0.0.1:${port}/desc.xml`, "127.0.0.1");
    await fetcher.idle();
    expect(applied).toHaveLength(1);
  });
});
