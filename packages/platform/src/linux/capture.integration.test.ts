/**
 * Live capture, injection and interface listing against real libpcap, real packets and real
 * network namespaces. Needs root (namespaces), ping, dig, nc-free Node peers, tcpreplay and
 * setpriv; see labUnavailableReason. Each capture runs in a probe process inside namespace B
 * (test/capture-probe.ts); traffic comes from namespace A over the lab's veth pair.
 */
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CaptureFileReader } from "@heimdal/core";
import { NodeFileSource } from "@heimdal/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CaptureRequest, CaptureResult } from "../../test/capture-probe.js";
import { macBytes, parseFrame, pcapFile, TCP_ACK, TCP_FIN, TCP_SYN, udpFrame } from "../../test/frames.js";
import { labUnavailableReason, VethLab } from "../../test/netns-lab.js";
import { runProbe, startProbe, unprivilegedViteConfig } from "../../test/probe-client.js";

const peers = fileURLToPath(new URL("../../test/peers/", import.meta.url));
const sharedCapture = resolve(
  fileURLToPath(new URL("../../../../", import.meta.url)),
  "../shared/data/bench/tj-oconnor-5dev-7day-merged.pcap",
);
const unavailable = labUnavailableReason(["ping", "dig", "tcpreplay", "setpriv", "capsh"]);

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const textOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
const framesOf = (result: CaptureResult) => result.packets.map((p) => parseFrame(Buffer.from(p.hex, "hex")));

describe.skipIf(unavailable)(
  `live capture in network namespaces${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let lab: VethLab;
    let scratch: string;

    beforeAll(async () => {
      lab = await VethLab.create();
      scratch = mkdtempSync(join(tmpdir(), "heimdal-capture-"));
    });

    afterAll(async () => {
      await lab?.destroy();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    /** Starts capturing on B's veth end and waits until the probe is ready. */
    async function captureOnB(request: Omit<CaptureRequest, "mode" | "interface"> = {}) {
      const probe = startProbe(lab, lab.nsB, { mode: "capture", interface: lab.ifB, keepPackets: 1000, ...request });
      await probe.ready;
      return probe;
    }

    it("lists the interfaces of its own namespace with addresses and flags", async () => {
      const exit = await runProbe(lab, lab.nsB, { mode: "interfaces" });
      const result = exit.events.find((e) => e.event === "result") as { interfaces: Array<Record<string, unknown>> };
      expect(result, exit.stderr).toBeDefined();
      const names = result.interfaces.map((i) => i.name);
      expect(result.interfaces).toContainEqual({ name: lab.ifB, addresses: [lab.ipB], up: true, loopback: false });
      expect(result.interfaces.find((i) => i.name === "lo")).toMatchObject({ loopback: true, up: true });
      expect(names).not.toContain(lab.ifA); // A's end lives in the other namespace
    });

    it("captures ping (ICMP echo) with exact counts, bytes, lengths and wall-clock times", async () => {
      const probe = await captureOnB();
      const startedUs = Date.now() * 1000;
      // -p fills the payload with this pattern ("heimdal!"), so the bytes can be checked.
      const ping = await lab.exec(lab.nsA, "ping", ["-c", "5", "-i", "0.2", "-p", "6865696d64616c21", lab.ipB]);
      const endedUs = Date.now() * 1000;
      expect(ping.stdout).toContain("5 packets transmitted, 5 received");
      const result = await probe.stop();

      expect(result.linkType).toBe(1);
      const frames = framesOf(result);
      const requests = frames.filter((f) => f.icmp?.type === 8 && f.ip?.src === lab.ipA && f.ip?.dst === lab.ipB);
      const replies = frames.filter((f) => f.icmp?.type === 0 && f.ip?.src === lab.ipB && f.ip?.dst === lab.ipA);
      expect(requests.map((f) => f.icmp?.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(replies.map((f) => f.icmp?.seq)).toEqual([1, 2, 3, 4, 5]);
      for (const f of [...requests, ...replies]) {
        expect(textOf(f.icmp!.payload)).toContain("heimdal!heimdal!");
        expect(f.dstMac === lab.macB || f.srcMac === lab.macB).toBe(true);
      }
      const icmp = result.packets.filter((_, i) => frames[i]?.icmp);
      for (const p of icmp) {
        expect(p.wireLength).toBe(98); // 14 Ethernet + 20 IPv4 + 8 ICMP + 56 payload
        expect(p.capturedLength).toBe(98);
        expect(p.linkType).toBe(1);
        expect(p.timestampUs).toBeGreaterThanOrEqual(startedUs - 1_000_000);
        expect(p.timestampUs).toBeLessThanOrEqual(endedUs + 1_000_000);
      }
      const times = result.packets.map((p) => p.timestampUs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(result.stats).toMatchObject({ droppedByKernel: 0, droppedByInterface: 0, droppedByUs: 0 });
      expect(result.stats.received).toBe(result.delivered);
      expect(result.closedCleanly).toBe(true);
    });

    it("captures UDP, and a BPF filter lets only the matching datagrams through", async () => {
      const filtered = await captureOnB({ filter: "udp dst port 40001" });
      const everything = await captureOnB();
      await lab.exec(lab.nsA, process.execPath, [join(peers, "udp-send.mjs"), lab.ipB, "40001", "20", "wanted"]);
      await lab.exec(lab.nsA, process.execPath, [join(peers, "udp-send.mjs"), lab.ipB, "40002", "7", "unwanted"]);
      await lab.exec(lab.nsA, "ping", ["-c", "2", "-i", "0.2", lab.ipB]);
      const [kept, all] = await Promise.all([filtered.stop(), everything.stop()]);

      const payloads = framesOf(kept).map((f) => (f.udp ? textOf(f.udp.payload) : `not udp: ${f.etherType}`));
      expect(payloads).toEqual(Array.from({ length: 20 }, (_, i) => `wanted-${i}`));
      expect(kept.delivered).toBe(20);
      for (const f of framesOf(kept)) expect(f).toMatchObject({ ip: { src: lab.ipA, dst: lab.ipB } });

      // The same traffic without a filter: the other port, the pings, and B's ICMP
      // "port unreachable" answers (nobody listens on B) all arrive too.
      const allFrames = framesOf(all);
      expect(allFrames.filter((f) => f.udp?.dstPort === 40001)).toHaveLength(20);
      expect(allFrames.filter((f) => f.udp?.dstPort === 40002)).toHaveLength(7);
      expect(allFrames.filter((f) => f.icmp?.type === 8)).toHaveLength(2);
      expect(allFrames.filter((f) => f.icmp?.type === 3).length).toBeGreaterThan(0);
      expect(all.delivered).toBeGreaterThan(kept.delivered);
    });

    it("captures a TCP conversation: handshake, payload both ways, and close", async () => {
      const server = lab.spawn(lab.nsB, process.execPath, [join(peers, "tcp-echo-server.mjs"), lab.ipB, "40100"]);
      await new Promise<void>((ready, fail) => {
        server.stdout?.once("data", () => ready());
        server.once("exit", (code) => fail(new Error(`echo server exited with ${code}`)));
      });
      const probe = await captureOnB({ filter: "tcp port 40100" });
      const text = "heimdal tcp payload: 0123456789";
      const client = await lab.exec(lab.nsA, process.execPath, [join(peers, "tcp-client.mjs"), lab.ipB, "40100", text]);
      expect(client.stdout.trim()).toBe(text);
      const result = await probe.stop();
      server.kill();

      const tcp = framesOf(result).map((f) => ({ ...f.tcp!, from: f.ip!.src }));
      const fromA = tcp.filter((t) => t.from === lab.ipA);
      const fromB = tcp.filter((t) => t.from === lab.ipB);
      expect(fromA.filter((t) => t.flags & TCP_SYN).map((t) => t.flags)).toEqual([TCP_SYN]);
      expect(fromB.filter((t) => t.flags & TCP_SYN).map((t) => t.flags)).toEqual([TCP_SYN | TCP_ACK]);
      expect(fromA.filter((t) => t.payload.length > 0).map((t) => textOf(t.payload))).toEqual([text]);
      expect(fromB.filter((t) => t.payload.length > 0).map((t) => textOf(t.payload))).toEqual([text]);
      expect(fromA.some((t) => t.flags & TCP_FIN)).toBe(true);
      expect(fromB.some((t) => t.flags & TCP_FIN)).toBe(true);
      expect(tcp.every((t) => t.dstPort === 40100 || t.srcPort === 40100)).toBe(true);
    });

    it("captures a DNS lookup made by dig against a DNS server in the other namespace", async () => {
      const server = lab.spawn(lab.nsB, process.execPath, [join(peers, "dns-server.mjs"), lab.ipB, "198.18.0.53"]);
      await new Promise<void>((ready, fail) => {
        server.stdout?.once("data", () => ready());
        server.once("exit", (code) => fail(new Error(`DNS server exited with ${code}`)));
      });
      const probe = await captureOnB({ filter: "udp port 53" });
      const dig = await lab.exec(lab.nsA, "dig", [`@${lab.ipB}`, "heimdal.test", "A", "+tries=1", "+time=3", "+short"]);
      expect(dig.stdout.trim()).toBe("198.18.0.53");
      const result = await probe.stop();
      server.kill();

      const [query, response, ...rest] = framesOf(result);
      expect(rest).toEqual([]);
      expect(query).toMatchObject({ ip: { src: lab.ipA, dst: lab.ipB }, udp: { dstPort: 53 } });
      expect(response).toMatchObject({ ip: { src: lab.ipB, dst: lab.ipA }, udp: { srcPort: 53 } });
      const q = query!.udp!.payload;
      const r = response!.udp!.payload;
      const qname = hexOf(Buffer.from("\x07heimdal\x04test\x00", "latin1"));
      expect(hexOf(q)).toContain(`${qname}00010001`); // QNAME, QTYPE A, QCLASS IN
      expect(hexOf(r.subarray(0, 2))).toBe(hexOf(q.subarray(0, 2))); // same transaction ID
      expect(hexOf(r)).toContain("c00c000100010000003c0004c6120035"); // the A answer: 198.18.0.53, TTL 60
    });

    it("receives every packet of a real capture replayed with tcpreplay, byte for byte", async () => {
      // The reference: the file's records, read with core's reader, hashed in order.
      const reader = new CaptureFileReader(new NodeFileSource(sharedCapture), { name: sharedCapture });
      reader.open();
      const { createHash } = await import("node:crypto");
      const expected = createHash("sha256");
      let records = 0;
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
        for (let i = 0; i < batch.count; i++) {
          const offset = batch.offsets[i] as number;
          expected.update(batch.data.subarray(offset, offset + (batch.capturedLengths[i] as number)));
        }
        records += batch.count;
      }
      reader.close();
      expect(records).toBe(151_923);

      const probe = await captureOnB({ keepPackets: 0, digest: true, bufferSize: 64 * 1024 * 1024 });
      const replay = await lab.exec(lab.nsA, "tcpreplay", ["-i", lab.ifA, "--pps=50000", sharedCapture], 120_000);
      const successful = Number(/Successful packets:\s+(\d+)/.exec(replay.stdout)?.[1]);
      expect(successful, replay.stdout).toBe(records);
      const result = await probe.stop();

      console.log(
        `tcpreplay ${sharedCapture}: sent ${successful}, delivered ${result.delivered} in ${result.batches} batches, ` +
          `stats ${JSON.stringify(result.stats)}`,
      );
      expect(result.stats).toMatchObject({ droppedByKernel: 0, droppedByInterface: 0, droppedByUs: 0 });
      expect(result.delivered).toBe(records);
      expect(result.digest).toBe(expected.digest("hex"));
    }, 180_000);

    it("captures in B the frames that the injector sends in A, unchanged and in order", async () => {
      const probe = await captureOnB({ filter: "ether proto 0x88b5" });
      // EtherType 0x88B5: IEEE 802 "local experimental", so no stack in B reacts to these frames.
      const frames = Array.from({ length: 50 }, (_, i) => {
        const frame = new Uint8Array(64 + i);
        frame.fill(0xff, 0, 6);
        frame.set(macBytes(lab.macA), 6);
        frame.set([0x88, 0xb5], 12);
        frame.set(Buffer.from(`heimdal-inject-${i}`), 14);
        return hexOf(frame);
      });
      const exit = await runProbe(lab, lab.nsA, { mode: "inject", interface: lab.ifA, frames });
      expect(exit.events, exit.stderr).toContainEqual({ event: "result", sent: 50 });
      const result = await probe.stop();
      expect(result.packets.map((p) => p.hex)).toEqual(frames);
      expect(result.packets.map((p) => p.wireLength)).toEqual(frames.map((f) => f.length / 2));
    });

    it("reports injection failures with the interface and the frame size", async () => {
      const oversized = await runProbe(lab, lab.nsA, {
        mode: "inject",
        interface: lab.ifA,
        frames: [hexOf(new Uint8Array(9000))],
      });
      expect(oversized.code).toBe(2);
      expect(oversized.events).toContainEqual({
        event: "error",
        name: "Error",
        message: expect.stringContaining(`Cannot inject a 9000-byte frame on "${lab.ifA}": `),
      });
      const missing = await runProbe(lab, lab.nsA, { mode: "inject", interface: "nosuch0", frames: ["00"] });
      expect(missing.events).toContainEqual({
        event: "error",
        name: "CaptureUnavailableError",
        message: expect.stringMatching(/^Cannot open interface "nosuch0": no such device \(available: .+\)$/),
      });
      const available = (missing.events.find((e) => e.event === "error")?.message as string) ?? "";
      expect(available).toContain(lab.ifA);
      expect(available).not.toContain(lab.ifB);
    });
    it("keeps capturing when the interface goes down, and resumes when it comes back up", async () => {
      const probe = await captureOnB({ filter: "icmp" });
      await lab.exec(lab.nsA, "ping", ["-c", "2", "-i", "0.2", lab.ipB]);
      await lab.exec(lab.nsB, "ip", ["link", "set", lab.ifB, "down"]);
      await new Promise((r) => setTimeout(r, 500));
      await lab.exec(lab.nsB, "ip", ["link", "set", lab.ifB, "up"]);
      await lab.exec(lab.nsA, "ping", ["-c", "3", "-i", "0.2", "-w", "10", lab.ipB]);
      const result = await probe.stop();
      const frames = framesOf(result);
      expect(frames.filter((f) => f.icmp?.type === 8)).toHaveLength(5);
      expect(frames.filter((f) => f.icmp?.type === 0)).toHaveLength(5);
    });

    it("ends the iteration with CaptureUnavailableError when the interface disappears", async () => {
      const [inA, inB] = await lab.addPair("x");
      const probe = startProbe(lab, lab.nsB, { mode: "capture", interface: inB });
      await probe.ready;
      await lab.exec(lab.nsA, "ip", ["link", "del", inA]); // deletes both ends
      const exit = await probe.exit;
      expect(exit.code).toBe(2);
      expect(exit.events).toContainEqual({
        event: "error",
        name: "CaptureUnavailableError",
        message: `Capture on "${inB}" failed: The interface disappeared`,
      });
    });

    it("closes cleanly when close() is called from inside the consuming loop", async () => {
      const probe = await captureOnB({ filter: "icmp", closeInsideLoopAfter: 1 });
      await lab.exec(lab.nsA, "ping", ["-c", "3", "-i", "0.2", lab.ipB]);
      const result = await probe.stop(); // the probe ended on its own: no handle was left behind
      expect(result.batches).toBe(1);
      expect(result.delivered).toBeGreaterThanOrEqual(1);
      expect(result.closedCleanly).toBe(true);
    });

    it("without CAP_NET_RAW, fails with a PermissionDeniedError that says how to grant it", async () => {
      const expectDenied = (exit: Awaited<ReturnType<typeof runProbe>>) => {
        const error = exit.events.find((e) => e.event === "error");
        expect(error, exit.stderr).toMatchObject({ name: "PermissionDeniedError" });
        const message = error?.message as string;
        expect(message).toMatch(new RegExp(`^Cannot capture on "${lab.ifB}": permission denied\\.`));
        expect(message).toContain("this process lacks CAP_NET_RAW");
        expect(message).toContain("CAP_NET_ADMIN for promiscuous mode");
        expect(message).toContain("sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))");
        expect(message).toContain("AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN");
        expect(exit.code).toBe(2);
      };
      // An ordinary user.
      const home = mkdtempSync(join(tmpdir(), "heimdal-nobody-"));
      try {
        const viteConfig = unprivilegedViteConfig(home);
        chownSync(home, 65534, 65534);
        chownSync(viteConfig, 65534, 65534);
        const wrapper = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", "--"];
        expectDenied(await runProbe(lab, lab.nsB, { mode: "capture", interface: lab.ifB }, { wrapper, viteConfig }));
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
      // Root without the capability, as in a container that drops NET_RAW.
      const capsh = ["capsh", "--drop=cap_net_raw,cap_net_admin", "--", "-c", 'exec "$0" "$@"'];
      expectDenied(await runProbe(lab, lab.nsB, { mode: "capture", interface: lab.ifB }, { wrapper: capsh }));
    });

    /**
     * Replays `loops` × 1,000 distinct UDP frames (60 to 571 bytes) from A at top speed while B
     * captures; returns the figures. The frames are addressed to a MAC that is not B's, so B's
     * stack drops them without answering: B's veth end sees only what A sent, and A's tx_packets
     * counts exactly what reached it.
     */
    async function blast(loops: number, capture: Omit<CaptureRequest, "mode" | "interface">) {
      const frames = Array.from({ length: 1000 }, (_, i) =>
        udpFrame({
          srcMac: lab.macA,
          dstMac: "02:00:00:00:00:99",
          srcIp: lab.ipA,
          dstIp: "198.18.0.200",
          srcPort: 50000,
          dstPort: 50001 + (i % 100),
          payload: new Uint8Array(18 + (i % 512)).fill(i & 0xff),
        }),
      );
      const file = join(scratch, "load.pcap");
      writeFileSync(file, pcapFile(frames));
      const probe = await captureOnB({ keepPackets: 0, promiscuous: true, ...capture });
      const txBefore = await lab.counter(lab.nsA, lab.ifA, "tx_packets");
      const startedAt = performance.now();
      const replay = await lab.exec(
        lab.nsA,
        "tcpreplay",
        ["-i", lab.ifA, "--topspeed", `--loop=${loops}`, "--preload-pcap", file],
        300_000,
      );
      const sendSeconds = (performance.now() - startedAt) / 1000;
      const sent = (await lab.counter(lab.nsA, lab.ifA, "tx_packets")) - txBefore;
      const result = await probe.stop();
      const { received, droppedByKernel, droppedByInterface, droppedByUs } = result.stats;
      const attempted = Number(/Successful packets:\s+(\d+)/.exec(replay.stdout)?.[1]);
      const rows = {
        "tcpreplay successful": attempted,
        "sent (A tx_packets)": sent,
        "received (handed to us by libpcap)": received,
        "delivered to the consumer": result.delivered,
        "dropped by kernel": droppedByKernel,
        "dropped by interface": droppedByInterface,
        "dropped by us": droppedByUs,
        "delivered + drops": result.delivered + droppedByKernel + droppedByInterface + droppedByUs,
        "send rate (packets/s)": Math.round(sent / sendSeconds),
        batches: result.batches,
        "peak RSS of capturing process (MiB)": Math.round(result.peakRssBytes / 2 ** 20),
      };
      const options = JSON.stringify(capture);
      console.log(
        `${loops * 1000} packets, capture ${options}:\n${Object.entries(rows)
          .map(([k, v]) => `  ${k.padEnd(38)} ${v}`)
          .join("\n")}`,
      );
      return { attempted, sent, result };
    }

    it("survives 1,000,000 packets at top speed and accounts for every packet sent", async () => {
      const { attempted, sent, result } = await blast(1000, {});
      const { received, droppedByKernel, droppedByInterface, droppedByUs } = result.stats;
      expect(attempted).toBe(1_000_000);
      expect(sent).toBe(1_000_000);
      expect(result.delivered).toBe(received - droppedByUs);
      expect(result.delivered + droppedByKernel + droppedByInterface + droppedByUs).toBe(sent);
      expect(result.delivered).toBeGreaterThan(0);
      expect(result.closedCleanly).toBe(true);
    }, 300_000);

    it("counts every drop when the consumer falls behind: in the kernel ring and in our queue", async () => {
      // A 64 KiB ring and a consumer that blocks 1 ms then sleeps 2 ms per batch, with room for
      // 2 queued batches: both the kernel and our queue must drop, and the books still balance.
      const { sent, result } = await blast(200, {
        bufferSize: 65536,
        queueLimit: 2,
        batchSize: 64,
        consumerBusyMs: 1,
        consumerSleepMs: 2,
      });
      const { received, droppedByKernel, droppedByInterface, droppedByUs } = result.stats;
      expect(sent).toBe(200_000);
      expect(droppedByKernel).toBeGreaterThan(0);
      expect(droppedByUs).toBeGreaterThan(0);
      expect(result.delivered).toBe(received - droppedByUs);
      expect(result.delivered + droppedByKernel + droppedByInterface + droppedByUs).toBe(sent);
      expect(result.closedCleanly).toBe(true);
    }, 300_000);
  },
);
