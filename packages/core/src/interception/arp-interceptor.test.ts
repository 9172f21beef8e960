import { describe, expect, it } from "vitest";
import { arpPacket, ethernetFrame } from "../simulate/frame-builder.js";
import { FakeClock } from "../test-support/fake-clock.test-util.js";
import { ARP_REPLY, ARP_REQUEST, type ArpFrame, parseArpFrame } from "./arp-frame.js";
import { ArpInterceptor, type ArpInterceptorOptions, type GuardResult } from "./arp-interceptor.js";
import type { InterceptionPlan } from "./interception-plan.js";
import type { SpoofJournal, SpoofJournalState } from "./spoof-journal.js";

const SENSOR = { ip: 0xc0a80105, mac: 0x02000000005e };
const GATEWAY = { ip: 0xc0a80101, mac: 0x020000000001 };
const PHONE = { ip: 0xc0a8010a, mac: 0x02000000000a };
const TV = { ip: 0xc0a8010b, mac: 0x02000000000b };
const BROADCAST = 0xffffffffffff;
const plan: InterceptionPlan = { interfaceName: "eth0", sensor: SENSOR, gateway: GATEWAY, targets: [PHONE, TV] };

class RecordingJournal implements SpoofJournal {
  saved: SpoofJournalState[] = [];
  cleared = 0;
  current: SpoofJournalState | undefined;
  save(state: SpoofJournalState): void {
    this.saved.push(state);
    this.current = state;
  }
  load(): SpoofJournalState | undefined {
    return this.current;
  }
  clear(): void {
    this.cleared++;
    this.current = undefined;
  }
}

function lab(options: ArpInterceptorOptions = {}, guardResults: GuardResult[] = []) {
  const clock = new FakeClock();
  const sent: ArpFrame[] = [];
  const journal = new RecordingJournal();
  const stops: string[] = [];
  let failWith: Error | undefined;
  const failures: Error[] = [];
  const interceptor = new ArpInterceptor(
    plan,
    {
      injector: {
        inject: (frame) => {
          if (failWith) throw failWith;
          // The journal must be on disk before the first false claim leaves the sensor.
          expect(journal.current).toBeDefined();
          sent.push(parseArpFrame(frame)!);
        },
      },
      clock,
      journal,
      random: () => 0.5,
      onStopped: (reason) => stops.push(reason),
      onFailed: (error) => failures.push(error),
      ...(guardResults.length > 0 && {
        guard: { check: () => Promise.resolve(guardResults.shift() ?? { ok: true }) },
      }),
    },
    { restoreSpacingMs: 100, ...options },
  );
  return {
    clock,
    sent,
    journal,
    stops,
    failures,
    interceptor,
    failSendsWith: (error: Error) => {
      failWith = error;
    },
  };
}

const claims = (sent: readonly ArpFrame[], to: { mac: number }, about: { ip: number }) =>
  sent.filter((f) => f.ethernetDestination === to.mac && f.senderIp === about.ip && f.operation === ARP_REPLY);
const arp = (op: 1 | 2, src: { ip: number; mac: number }, dstMac: number, targetIp: number, targetMac = 0) =>
  ethernetFrame(dstMac, src.mac, 0x0806, arpPacket(op, src.mac, src.ip, targetMac, targetIp));
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Moves virtual time in steps, letting promise continuations (the restore's rounds) run between them. */
async function pass(clock: FakeClock, ms: number, stepMs = 50): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await flush();
  }
}

describe("ArpInterceptor", () => {
  it("claims both directions at start, from the sensor's MAC, after saving the journal", () => {
    const { interceptor, sent, journal } = lab();
    interceptor.start();
    expect(journal.saved[0]!.targets).toEqual([
      { ip: "192.168.1.10", mac: "02:00:00:00:00:0a" },
      { ip: "192.168.1.11", mac: "02:00:00:00:00:0b" },
    ]);
    for (const target of [PHONE, TV]) {
      expect(claims(sent, target, GATEWAY)).toEqual([expect.objectContaining({ senderMac: SENSOR.mac })]);
      expect(claims(sent, GATEWAY, target)).toEqual([expect.objectContaining({ senderMac: SENSOR.mac })]);
    }
    expect(sent.every((f) => f.ethernetSource === SENSOR.mac)).toBe(true);
  });

  it("refreshes every interval with jitter", () => {
    const { interceptor, sent, clock } = lab({ refreshSeconds: 10, jitter: 0.2 });
    interceptor.start();
    clock.advance(9_999);
    expect(sent).toHaveLength(4);
    clock.advance(1);
    expect(sent).toHaveLength(8);
    expect(interceptor.health().refreshes).toBe(1);
  });

  it("answers a target's request for the gateway at once and claims the pair again after the locktime", () => {
    const { interceptor, sent, clock } = lab({ refreshSeconds: 60 });
    interceptor.start();
    sent.length = 0;
    interceptor.observe(arp(ARP_REQUEST, PHONE, BROADCAST, GATEWAY.ip));
    expect(claims(sent, PHONE, GATEWAY)).toHaveLength(1);
    clock.advance(1200);
    expect(claims(sent, PHONE, GATEWAY)).toHaveLength(2);
    expect(claims(sent, GATEWAY, PHONE)).toHaveLength(1);
    expect(interceptor.health().answeredRequests).toBe(1);
  });

  it("answers the gateway's request for a target, and ignores requests for anyone else", () => {
    const { interceptor, sent } = lab({ refreshSeconds: 60 });
    interceptor.start();
    sent.length = 0;
    interceptor.observe(arp(ARP_REQUEST, GATEWAY, BROADCAST, TV.ip));
    expect(claims(sent, GATEWAY, TV)).toEqual([expect.objectContaining({ senderMac: SENSOR.mac })]);
    interceptor.observe(arp(ARP_REQUEST, GATEWAY, BROADCAST, 0xc0a80163));
    interceptor.observe(arp(ARP_REQUEST, PHONE, BROADCAST, TV.ip));
    expect(sent).toHaveLength(1);
  });

  it("restores every pair several times on stop, then clears the journal", async () => {
    const { interceptor, sent, clock, journal, stops } = lab({ restoreRepeats: 3 });
    interceptor.start();
    sent.length = 0;
    const stopped = interceptor.stop("user");
    await pass(clock, 1000);
    await stopped;
    for (const target of [PHONE, TV]) {
      expect(claims(sent, target, GATEWAY).map((f) => f.senderMac)).toEqual([GATEWAY.mac, GATEWAY.mac, GATEWAY.mac]);
      expect(claims(sent, GATEWAY, target).map((f) => f.senderMac)).toEqual([target.mac, target.mac, target.mac]);
    }
    expect(journal.cleared).toBe(1);
    expect(stops).toEqual(["user"]);
    expect(interceptor.health()).toMatchObject({ running: false, stopReason: "user" });
  });

  it("keeps the journal when the restore cannot be sent", async () => {
    const { interceptor, clock, journal, failSendsWith } = lab({ restoreRepeats: 1 });
    interceptor.start();
    failSendsWith(new Error("interface went away"));
    const stopped = interceptor.stop();
    await pass(clock, 100);
    await stopped;
    expect(journal.cleared).toBe(0);
    expect(interceptor.health().lastError).toMatch(/restore failed: interface went away/);
  });

  it("stops and restores when the gateway keeps announcing its own address", async () => {
    const { interceptor, clock, stops, journal } = lab({ defenceLimit: 3, defenceWindowSeconds: 30 });
    interceptor.start();
    for (let i = 0; i < 3; i++) {
      interceptor.observe(arp(ARP_REQUEST, GATEWAY, BROADCAST, GATEWAY.ip)); // gratuitous
      clock.advance(5_000);
    }
    await pass(clock, 5_000);
    expect(stops[0]).toMatch(/defends its ARP entry \(3 announcements in 30 s\)/);
    expect(journal.cleared).toBe(1);
  });

  it("does not count announcements spread wider than the window, or replies a target asked for", () => {
    const { interceptor, clock } = lab({ defenceLimit: 3, defenceWindowSeconds: 30, refreshSeconds: 100 });
    interceptor.start();
    for (let i = 0; i < 5; i++) {
      interceptor.observe(arp(ARP_REQUEST, GATEWAY, BROADCAST, GATEWAY.ip));
      clock.advance(20_000);
    }
    interceptor.observe(arp(ARP_REQUEST, PHONE, BROADCAST, GATEWAY.ip));
    for (let i = 0; i < 3; i++) interceptor.observe(arp(ARP_REPLY, GATEWAY, PHONE.mac, PHONE.ip, PHONE.mac));
    expect(interceptor.running).toBe(true);
  });

  it("stops rather than fight another host answering for the gateway or for two targets", async () => {
    const proxy = { mac: 0x0200000000ee };
    const first = lab();
    first.interceptor.start();
    first.interceptor.observe(arp(ARP_REPLY, { ip: GATEWAY.ip, mac: proxy.mac }, PHONE.mac, PHONE.ip));
    expect(first.interceptor.running).toBe(false);
    await pass(first.clock, 5_000);
    expect(first.stops[0]).toMatch(/another host \(02:00:00:00:00:ee\) claims the gateway's address 192.168.1.1/);

    const second = lab();
    second.interceptor.start();
    second.interceptor.observe(arp(ARP_REPLY, { ip: PHONE.ip, mac: proxy.mac }, GATEWAY.mac, GATEWAY.ip));
    expect(second.interceptor.running).toBe(true); // one address moving to a new MAC is not proxy ARP
    second.interceptor.observe(arp(ARP_REPLY, { ip: TV.ip, mac: proxy.mac }, GATEWAY.mac, GATEWAY.ip));
    expect(second.interceptor.running).toBe(false);
    expect(second.interceptor.health().stopReason).toMatch(/answers for 2 addresses that are not its own/);
  });

  it("ignores its own frames as the capture sees them", () => {
    const { interceptor, sent } = lab();
    interceptor.start();
    const own = ethernetFrame(
      GATEWAY.mac,
      SENSOR.mac,
      0x0806,
      arpPacket(2, SENSOR.mac, PHONE.ip, GATEWAY.mac, GATEWAY.ip),
    );
    for (let i = 0; i < 10; i++) interceptor.observe(own);
    expect(interceptor.running).toBe(true);
    expect(sent).toHaveLength(4);
  });

  it("stops at once on a fatal guard result, and after two failed probes otherwise", async () => {
    const fatal = lab({ probeSeconds: 5 }, [
      { ok: true },
      { ok: false, fatal: true, reason: "IPv4 forwarding is off" },
    ]);
    fatal.interceptor.start();
    await pass(fatal.clock, 15_000);
    expect(fatal.stops).toEqual(["guard: IPv4 forwarding is off"]);

    const flaky = lab({ probeSeconds: 5 }, [
      { ok: false, fatal: false, reason: "gateway 192.168.1.1 does not answer" },
      { ok: true },
      { ok: false, fatal: false, reason: "gateway 192.168.1.1 does not answer" },
      { ok: false, fatal: false, reason: "DNS server 192.168.1.1 does not answer" },
    ]);
    flaky.interceptor.start();
    await pass(flaky.clock, 15_000);
    expect(flaky.interceptor.running).toBe(true);
    await pass(flaky.clock, 5_000);
    expect(flaky.interceptor.running).toBe(false);
    expect(flaky.interceptor.health().stopReason).toBe("guard: DNS server 192.168.1.1 does not answer");
  });

  it("reports a failure when frames cannot be sent, keeping the journal for restore-arp", () => {
    const { interceptor, failures, journal, failSendsWith, clock } = lab({ refreshSeconds: 10 });
    interceptor.start();
    failSendsWith(new Error("No such device"));
    clock.advance(10_000);
    expect(failures.map((e) => e.message)).toEqual(["No such device"]);
    expect(interceptor.running).toBe(false);
    expect(journal.current).toBeDefined();
  });

  it("claims new targets after saving them, and restores dropped ones at once", async () => {
    const { interceptor, sent, journal, clock } = lab({ refreshSeconds: 60, restoreRepeats: 1 });
    interceptor.start();
    sent.length = 0;
    const printer = { ip: 0xc0a8010c, mac: 0x02000000000c };
    interceptor.setTargets([PHONE, printer]);
    expect(journal.current!.targets.map((t) => t.ip)).toEqual(["192.168.1.10", "192.168.1.12"]);
    expect(claims(sent, printer, GATEWAY)).toHaveLength(1);
    await pass(clock, 100);
    expect(claims(sent, TV, GATEWAY)).toEqual([expect.objectContaining({ senderMac: GATEWAY.mac })]);
    expect(claims(sent, GATEWAY, TV)).toEqual([expect.objectContaining({ senderMac: TV.mac })]);
  });
});
