/**
 * ARP interception with forwarding: the sensor tells each target that the gateway is at the
 * sensor's MAC and the gateway that each target is, so their traffic to each other crosses
 * the sensor (whose kernel forwards it). Built to never leave a network broken:
 * - the journal of claims is saved before the first false claim, so a crash can be undone;
 * - every ARP request between the gateway and a target is answered at once (and again after
 *   the neighbour locktime), so devices waking from sleep come back through the sensor;
 * - a gateway that defends its entry (announcements that keep coming) and another host that
 *   answers for the same addresses (proxy ARP, a second interceptor) make it stop and
 *   restore rather than fight;
 * - a guard probe (forwarding on, gateway and DNS reachable) failing stops it and restores.
 * Time comes from the injected clock; frames from the capture of the same interface.
 */
import type { FrameInjector, ScanClock } from "../discovery/active-scanner.js";
import { formatIpv4, formatMac } from "../packet/address.js";
import { ARP_REPLY, ARP_REQUEST, arpReplyFrame, parseArpFrame } from "./arp-frame.js";
import { restoreFrames, sendRestore } from "./arp-restore.js";
import { describeHost, type InterceptionHost, type InterceptionPlan } from "./interception-plan.js";
import { journalState, type SpoofJournal } from "./spoof-journal.js";

/** What the guard found; fatal stops at once (forwarding off), others after repeated failures. */
export type GuardResult = { ok: true } | { ok: false; fatal: boolean; reason: string };

export interface InterceptionGuard {
  check(): Promise<GuardResult>;
}

export interface ArpInterceptorOptions {
  /** Seconds between refreshes of every claim (default 10), each varied by ±jitter. */
  refreshSeconds?: number;
  /** Fraction of the refresh interval by which each one varies (default 0.2). */
  jitter?: number;
  /** Seconds between guard probes (default 5). */
  probeSeconds?: number;
  /** Consecutive non-fatal probe failures that stop interception (default 2). */
  probeFailuresToStop?: number;
  /** Gateway announcements within defenceWindowSeconds that mean it defends its entry (default 3). */
  defenceLimit?: number;
  defenceWindowSeconds?: number;
  restoreRepeats?: number;
  restoreSpacingMs?: number;
}

export interface ArpInterceptorComponents {
  injector: FrameInjector;
  clock: ScanClock;
  journal: SpoofJournal;
  guard?: InterceptionGuard;
  /** Uniform in [0, 1); Math.random in production. */
  random?: () => number;
  /** Interception ended by itself (guard, defence, conflict) or by stop(); after the restore. */
  onStopped?: (reason: string) => void;
  /** Frames cannot be sent: the component has failed (its supervisor restarts it). */
  onFailed?: (error: Error) => void;
}

export interface ArpInterceptorHealth {
  running: boolean;
  targets: string[];
  gateway: string;
  framesSent: number;
  answeredRequests: number;
  refreshes: number;
  lastError: string | null;
  /** Why the last interception ended, or null while running / before the first. */
  stopReason: string | null;
}

const LOCKTIME_MS = 1100; // Linux ignores a changed entry within 1 s (neigh locktime) of the last change
const SOLICITED_MS = 2000; // a gateway reply this soon after a target asked for it answers that request

export class ArpInterceptor {
  #running = false;
  #stopping: Promise<void> | undefined;
  #targets = new Map<number, InterceptionHost>();
  #refreshTimer: unknown;
  #probeTimer: unknown;
  #followUps = new Set<unknown>();
  #probeFailures = 0;
  #defence: number[] = [];
  #askedForGateway = new Map<number, number>();
  #foreignClaims = new Map<number, Set<number>>();
  #framesSent = 0;
  #answered = 0;
  #refreshes = 0;
  #lastError: string | null = null;
  #stopReason: string | null = null;

  constructor(
    private readonly plan: InterceptionPlan,
    private readonly components: ArpInterceptorComponents,
    private readonly options: ArpInterceptorOptions = {},
  ) {}

  get running(): boolean {
    return this.#running;
  }

  /** Saves the journal, then claims every pair and starts the refresh and guard schedules. */
  start(): void {
    if (this.#running) return;
    for (const target of this.plan.targets) this.#targets.set(target.ip, target);
    this.#saveJournal();
    this.#running = true;
    this.#stopReason = null;
    this.#claimAll();
    this.#scheduleRefresh();
    if (this.components.guard) this.#scheduleProbe();
  }

  /** Replaces the targets (discovery found or lost devices); dropped ones are restored at once. */
  setTargets(targets: readonly InterceptionHost[]): void {
    if (!this.#running) return;
    const next = new Map(targets.map((t) => [t.ip, t]));
    const dropped = [...this.#targets.values()].filter((t) => next.get(t.ip)?.mac !== t.mac);
    const added = targets.filter((t) => this.#targets.get(t.ip)?.mac !== t.mac);
    if (dropped.length === 0 && added.length === 0) return;
    this.#targets = next;
    this.#saveJournal(); // before the new claims, so a crash right after them can be undone
    for (const target of added) this.#claim(target);
    if (dropped.length > 0) {
      const frames = restoreFrames(this.plan.sensor.mac, this.plan.gateway, dropped);
      void sendRestore(this.components.injector, this.components.clock, frames, this.#restoreOptions()).catch(
        (error: unknown) => this.#fail(error),
      );
    }
  }

  /** Every ARP frame captured on the interface goes here (others are ignored cheaply). */
  observe(frame: Uint8Array): void {
    if (!this.#running) return;
    const arp = parseArpFrame(frame);
    if (!arp || arp.ethernetSource === this.plan.sensor.mac) return;
    const now = this.components.clock.now();
    const { gateway } = this.plan;
    if (this.#foreignClaim(arp.senderMac, arp.senderIp)) return;

    if (arp.senderIp === gateway.ip && arp.senderMac === gateway.mac) {
      const target = this.#targets.get(arp.targetIp);
      if (arp.operation === ARP_REQUEST && target) {
        this.#answer(gateway, target, target); // the gateway asks for a target: it is at the sensor
      } else if (this.#isAnnouncement(arp.operation, arp.targetIp, arp.ethernetDestination, now)) {
        this.#noteDefence(now);
      }
      return;
    }
    const target = this.#targets.get(arp.senderIp);
    if (target && arp.senderMac === target.mac && arp.operation === ARP_REQUEST && arp.targetIp === gateway.ip) {
      this.#askedForGateway.set(target.mac, now);
      this.#answer(target, gateway, target); // a target asks for the gateway (also on waking up)
    }
  }

  /** Stops claiming and restores every pair; resolves when the restore has been sent. */
  stop(reason = "stopped"): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    if (!this.#running) return Promise.resolve();
    this.#running = false;
    this.#stopReason = reason;
    this.#clearTimers();
    const frames = restoreFrames(this.plan.sensor.mac, this.plan.gateway, [...this.#targets.values()]);
    this.#stopping = sendRestore(this.components.injector, this.components.clock, frames, this.#restoreOptions())
      .then((sent) => {
        this.#framesSent += sent;
        this.components.journal.clear();
      })
      .catch((error: unknown) => {
        // The journal stays: `heimdal restore-arp` sends the restore again.
        this.#lastError = `restore failed: ${(error as Error).message}`;
      })
      .finally(() => {
        this.#stopping = undefined;
        this.components.onStopped?.(reason);
      });
    return this.#stopping;
  }

  health(): ArpInterceptorHealth {
    return {
      running: this.#running,
      targets: [...this.#targets.values()].map(describeHost),
      gateway: describeHost(this.plan.gateway),
      framesSent: this.#framesSent,
      answeredRequests: this.#answered,
      refreshes: this.#refreshes,
      lastError: this.#lastError,
      stopReason: this.#stopReason,
    };
  }

  #saveJournal(): void {
    this.components.journal.save(journalState(this.plan, [...this.#targets.values()], Date.now()));
  }

  /** A reply or announcement claiming a guarded address for a MAC that is neither its owner nor us. */
  #foreignClaim(senderMac: number, senderIp: number): boolean {
    const { gateway, sensor } = this.plan;
    if (senderMac === sensor.mac) return false;
    if (senderIp === gateway.ip && senderMac !== gateway.mac) {
      void this.stop(
        `another host (${formatMac(senderMac)}) claims the gateway's address ${formatIpv4(gateway.ip)}: a proxy-ARP responder or another interceptor; stopping rather than fighting it`,
      );
      return true;
    }
    const target = this.#targets.get(senderIp);
    if (!target || target.mac === senderMac) return false;
    const claimed = this.#foreignClaims.get(senderMac) ?? new Set<number>();
    claimed.add(senderIp);
    this.#foreignClaims.set(senderMac, claimed);
    if (claimed.size >= 2) {
      void this.stop(
        `${formatMac(senderMac)} answers for ${claimed.size} addresses that are not its own: a proxy-ARP responder; stopping rather than fighting it`,
      );
      return true;
    }
    return false;
  }

  /** A gratuitous announcement of the gateway's address, or a reply nobody asked for. */
  #isAnnouncement(operation: number, targetIp: number, ethernetDestination: number, now: number): boolean {
    if (targetIp === this.plan.gateway.ip) return true; // gratuitous: sender and target address equal
    if (operation !== ARP_REPLY) return false;
    const asker = [...this.#targets.values()].find((t) => t.ip === targetIp || t.mac === ethernetDestination);
    const askedAt = asker ? this.#askedForGateway.get(asker.mac) : undefined;
    return askedAt === undefined || now - askedAt > SOLICITED_MS;
  }

  #noteDefence(now: number): void {
    const windowMs = (this.options.defenceWindowSeconds ?? 30) * 1000;
    this.#defence = this.#defence.filter((t) => now - t <= windowMs);
    this.#defence.push(now);
    const limit = this.options.defenceLimit ?? 3;
    if (this.#defence.length >= limit) {
      void this.stop(
        `the gateway ${describeHost(this.plan.gateway)} defends its ARP entry (${this.#defence.length} announcements in ${windowMs / 1000} s); stopping rather than fighting it`,
      );
    }
  }

  /**
   * Tells `asker` that `about` is at the sensor at once. A request also tells its receiver the
   * asker's real MAC, and the real owner answers too, so the pair is claimed again in both
   * directions once the neighbour locktime has passed.
   */
  #answer(asker: InterceptionHost, about: InterceptionHost, target: InterceptionHost): void {
    this.#answered++;
    this.#send(arpReplyFrame(this.plan.sensor.mac, this.plan.sensor.mac, about.ip, asker));
    const handle = this.components.clock.setTimeout(() => {
      this.#followUps.delete(handle);
      if (this.#running && this.#targets.get(target.ip) === target) this.#claim(target);
    }, LOCKTIME_MS);
    this.#followUps.add(handle);
  }

  #claim(target: InterceptionHost): void {
    const { sensor, gateway } = this.plan;
    this.#send(arpReplyFrame(sensor.mac, sensor.mac, gateway.ip, target));
    this.#send(arpReplyFrame(sensor.mac, sensor.mac, target.ip, gateway));
  }

  #claimAll(): void {
    for (const target of this.#targets.values()) {
      if (!this.#running) return;
      this.#claim(target);
    }
  }

  #send(frame: Uint8Array): void {
    try {
      this.components.injector.inject(frame);
      this.#framesSent++;
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Frames cannot be sent: stop the schedules (the journal stays) and report the failure. */
  #fail(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#lastError = failure.message;
    if (!this.#running) return;
    this.#running = false;
    this.#stopReason = `failed: ${failure.message}`;
    this.#clearTimers();
    this.components.onFailed?.(failure);
  }

  #scheduleRefresh(): void {
    const base = (this.options.refreshSeconds ?? 10) * 1000;
    const jitter = this.options.jitter ?? 0.2;
    const delay = base * (1 + jitter * (2 * (this.components.random ?? Math.random)() - 1));
    this.#refreshTimer = this.components.clock.setTimeout(() => {
      if (!this.#running) return;
      this.#refreshes++;
      this.#claimAll();
      if (this.#running) this.#scheduleRefresh();
    }, delay);
  }

  #scheduleProbe(): void {
    const guard = this.components.guard!;
    this.#probeTimer = this.components.clock.setTimeout(
      () => {
        if (!this.#running) return;
        guard.check().then(
          (result) => this.#onProbe(result),
          (error: unknown) => this.#onProbe({ ok: false, fatal: false, reason: (error as Error).message }),
        );
      },
      (this.options.probeSeconds ?? 5) * 1000,
    );
  }

  #onProbe(result: GuardResult): void {
    if (!this.#running) return;
    if (result.ok) {
      this.#probeFailures = 0;
    } else {
      this.#probeFailures++;
      if (result.fatal || this.#probeFailures >= (this.options.probeFailuresToStop ?? 2)) {
        void this.stop(`guard: ${result.reason}`);
        return;
      }
    }
    this.#scheduleProbe();
  }

  #clearTimers(): void {
    const { clock } = this.components;
    if (this.#refreshTimer !== undefined) clock.clearTimeout(this.#refreshTimer);
    if (this.#probeTimer !== undefined) clock.clearTimeout(this.#probeTimer);
    for (const handle of this.#followUps) clock.clearTimeout(handle);
    this.#followUps.clear();
    this.#refreshTimer = undefined;
    this.#probeTimer = undefined;
  }

  #restoreOptions() {
    return {
      ...(this.options.restoreRepeats !== undefined && { repeats: this.options.restoreRepeats }),
      ...(this.options.restoreSpacingMs !== undefined && { spacingMs: this.options.restoreSpacingMs }),
    };
  }
}
