import { DetectionEngine, type DetectionOptions, VOLUME_REPORT_BYTES } from "../detection/detection-engine.js";
import type { DeviceClassifier } from "../discovery/device-classifier.js";
import { DeviceMap, type DeviceMapOptions, type DeviceState } from "../discovery/device-map.js";
import type { DeviceEvent } from "../discovery/device-record.js";
import { EvidenceObserver } from "../discovery/evidence-observer.js";
import type { VendorLookup } from "../discovery/vendor-lookup.js";
import { FlowTable, type FlowTableOptions } from "../flow/flow-table.js";
import type { PacketBatch } from "../packet/batch.js";
import type { CaptureProblem } from "../packet/capture-problem.js";
import type { CaptureStats } from "../packet/capture-provider.js";
import { DecodedPacket, MALFORMED_REASONS } from "../packet/decoded-packet.js";
import { decodePacket } from "../packet/decoder.js";
import { lastTwoLabels } from "../profile/domain-parser.js";
import { ProfileEngine, type ProfileEngineOptions } from "../profile/profile-engine.js";
import { TrafficRecorder, type TrafficRecorderOptions } from "../traffic/traffic-recorder.js";
import { toAlertReport, toIncidentReport } from "./alert-report.js";
import { toDeviceReport, toEventReport } from "./device-report.js";
import type { AnalysisReport, CaptureProblemReport, DropReport } from "./report.js";
import { TalkerTally } from "./talker-tally.js";

export interface PacketPipelineOptions {
  classifier: DeviceClassifier;
  vendors: VendorLookup;
  discovery?: Omit<DeviceMapOptions, "classifier" | "vendors">;
  flows?: FlowTableOptions;
  /** Profiles and baselines; the domain parser defaults to the last two labels (inject a Public Suffix List one). */
  profiles?: Partial<ProfileEngineOptions>;
  /** Detectors and how alerts are handled; without it nothing is detected. */
  detection?: Omit<DetectionOptions, "sensorMacs">;
  /** Hosts listed in `flows.topTalkers`. */
  topTalkers?: number;
  /** Record per-minute and per-destination recent traffic for storage (off without it). */
  traffic?: TrafficRecorderOptions;
  /** Told of each SSDP LOCATION a LAN device announces (the active scan fetches its description). */
  onUpnpLocation?: (device: DeviceState, location: string, sourceIp: string) => void;
}

/**
 * The synchronous hot path: decode each packet of a batch into one reused view, account it
 * to its flow and its device. Nothing here awaits or allocates per packet.
 */
export class PacketPipeline {
  private readonly packet = new DecodedPacket();
  private malformedCounts = new Float64Array(MALFORMED_REASONS.length);
  private talkers = new TalkerTally();
  private readonly flows: FlowTable;
  private readonly devices: DeviceMap;
  private readonly evidence: EvidenceObserver;
  private readonly profiles: ProfileEngine;
  private readonly detection: DetectionEngine;
  private readonly traffic: TrafficRecorder;
  private events: DeviceEvent[] = [];
  /** Packet time of the last device-map tick; presence and events settle about once a second. */
  private lastTickUs = Number.NEGATIVE_INFINITY;
  private lastPurgeUs = Number.NEGATIVE_INFINITY;
  /** Volume reports: whether any detector reads them, how often, and where the last one was. */
  private readonly volumeReports: boolean;
  private volumeBytes = 0;
  private volumeMinute = Number.NEGATIVE_INFINITY;
  private volumeHour = Number.NEGATIVE_INFINITY;
  private problems: CaptureProblemReport[] = [];
  private sources: string[] = [];
  private dropped: DropReport = { byKernel: 0, byInterface: 0, byHeimdal: 0 };
  private readonly topTalkers: number;
  private packets = 0;
  private bytes = 0;
  private truncated = 0;
  private skipped = 0;
  private firstUs = Number.POSITIVE_INFINITY;
  private lastUs = Number.NEGATIVE_INFINITY;

  constructor(options: PacketPipelineOptions) {
    this.devices = new DeviceMap({ ...options.discovery, classifier: options.classifier, vendors: options.vendors });
    const traffic = new TrafficRecorder(options.traffic);
    this.traffic = traffic;
    const onConnection = options.profiles?.onConnection;
    this.profiles = new ProfileEngine(this.devices, {
      domains: lastTwoLabels,
      ...options.profiles,
      // Recorded only for a store that asked: without one, minutes would pile up unread.
      ...(options.traffic && {
        onConnection: (deviceId, connection) => {
          traffic.add(deviceId, connection);
          onConnection?.(deviceId, connection);
        },
      }),
    });
    const profiles = this.profiles;
    this.flows = new FlowTable(options.flows, (flow) => {
      this.talkers.add(flow);
      // Detectors compare with the baseline before the flow becomes part of it.
      this.detection.onFlowEnd(flow);
      this.profiles.addFlow(flow);
    });
    const flows = this.flows;
    this.detection = new DetectionEngine(this.devices, this.profiles, {
      detectors: [],
      ...options.detection,
      sensorMacs: options.discovery?.sensorMacs ?? [],
      flows: {
        lastSeenWith: (mac, ip4) => flows.lastSeenWith(mac, ip4),
        lastSeenVia: (mac, via) => flows.lastSeenVia(mac, via),
      },
    });
    const detection = this.detection;
    this.evidence = new EvidenceObserver(this.devices, {
      dnsQuery: (state, name, time) => profiles.dnsQuery(state, name, time),
      dnsAnswer: (ip, name) => profiles.learnName(ip, name),
      tlsServerName: (state, name, time) => profiles.tlsServerName(state, name, time),
      dnsMessage: (message, p, sender) => detection.onDns(message, p, sender),
      ...(options.onUpnpLocation && { upnpLocation: options.onUpnpLocation }),
    });
    // Volume detectors read the flow table's byte counters, reported at ticks, not every packet.
    this.volumeReports = detection.wantsVolume;
    if (this.volumeReports) this.flows.onProgress((progress) => detection.onFlowProgress(progress));
    this.topTalkers = options.topTalkers ?? 10;
  }

  processBatch(batch: PacketBatch): void {
    const p = this.packet;
    const { data, offsets, capturedLengths, wireLengths, timestampsUs, linkTypes } = batch;
    const flows = this.flows;
    const evidence = this.evidence;
    const detection = this.detection;
    let first = this.firstUs;
    let last = this.lastUs;
    for (let i = 0; i < batch.count; i++) {
      const ts = timestampsUs[i]!;
      decodePacket(data, offsets[i]!, capturedLengths[i]!, wireLengths[i]!, linkTypes[i]!, ts, p);
      this.bytes += p.wireLength;
      if (ts < first) first = ts;
      if (ts > last) last = ts;
      if (p.malformed !== 0) {
        this.malformedCounts[p.malformed]!++;
        continue;
      }
      if (p.truncated) this.truncated++;
      flows.update(p);
      const sender = evidence.observe(p, data);
      detection.onPacket(p, data, sender);
      if (flows.lastNewPath) detection.onNewPath(p, data, sender);
      // Presence, events and flow expiry settle once a second of packet time, at the packet
      // that crosses the second, so a batch spanning minutes of a replay keeps exact timing.
      if (ts - this.lastTickUs >= 1e6) this.advanceTime(ts);
    }
    this.packets += batch.count;
    this.firstUs = first;
    this.lastUs = last;
  }

  /**
   * Moves packet time on without a packet: live capture calls this on a timer so that a
   * silent network still expires flows and marks devices offline.
   */
  advanceTime(nowUs: number): void {
    if (nowUs < this.lastTickUs) return;
    this.lastTickUs = nowUs;
    this.flows.expire(nowUs);
    if (this.volumeReports) this.reportVolumes(nowUs);
    this.devices.tick(nowUs);
    for (const event of this.devices.drainEvents()) {
      this.events.push(event);
      this.detection.onDeviceEvent(event);
    }
    this.detection.tick(nowUs);
    // Baseline history past its retention goes once an hour of packet time.
    if (nowUs - this.lastPurgeUs >= 3600e6) {
      this.lastPurgeUs = nowUs;
      this.profiles.purge(nowUs / 1000);
    }
  }

  /**
   * Flows' bytes to the volume detectors, once VOLUME_REPORT_BYTES moved since the last report,
   * a new hour began, or a new minute while a detector counts minutes: what can cross a
   * threshold is seen within a tick, and a quiet network is not walked every second.
   */
  private reportVolumes(nowUs: number): void {
    const minute = Math.floor(nowUs / 60e6);
    const hour = Math.floor(minute / 60);
    if (
      this.bytes - this.volumeBytes < VOLUME_REPORT_BYTES &&
      hour === this.volumeHour &&
      (minute === this.volumeMinute || !this.detection.needsMinuteVolumes())
    )
      return;
    this.volumeBytes = this.bytes;
    this.volumeMinute = minute;
    this.volumeHour = hour;
    this.flows.reportProgress(nowUs);
  }

  /**
   * Ends the learning phase: what was replayed so far stays in the device map, profiles and
   * baselines, but the report counts only what comes next, and only devices seen from now on.
   */
  beginAnalysis(): void {
    this.flows.flush("end_of_capture");
    if (Number.isFinite(this.lastUs)) this.devices.flush(this.lastUs);
    for (const event of this.devices.drainEvents()) this.detection.onDeviceEvent(event);
    this.detection.setMuted(false);
    this.devices.resetCounters();
    this.profiles.resetProfiles();
    this.talkers = new TalkerTally();
    this.malformedCounts = new Float64Array(MALFORMED_REASONS.length);
    this.events = [];
    this.problems = [];
    this.sources = [];
    this.dropped = { byKernel: 0, byInterface: 0, byHeimdal: 0 };
    this.packets = 0;
    this.bytes = 0;
    // The flush above reported every flow's bytes.
    this.volumeBytes = 0;
    this.truncated = 0;
    this.skipped = 0;
    this.firstUs = Number.POSITIVE_INFINITY;
    this.lastUs = Number.NEGATIVE_INFINITY;
    this.lastTickUs = Number.NEGATIVE_INFINITY;
  }

  /** Learning (learn files): detectors build state but raise nothing. beginAnalysis() ends it. */
  startLearning(): void {
    this.detection.setMuted(true);
  }

  /** Packets, bytes and malformed packets so far (cheap: for a live sensor's status). */
  counters(): { packets: number; bytes: number; malformed: number } {
    let malformed = 0;
    for (const count of this.malformedCounts) malformed += count;
    return { packets: this.packets, bytes: this.bytes, malformed };
  }

  /** Alerts and incidents, for storage and the dashboard. */
  get detectionEngine(): DetectionEngine {
    return this.detection;
  }

  /** Forgets the oldest `count` device events (a long-running sensor has stored them). */
  forgetDeviceEvents(count: number): void {
    this.events.splice(0, Math.min(count, this.events.length));
  }

  /** Device events raised in this analysis so far, oldest first (packet time). */
  get deviceEvents(): readonly DeviceEvent[] {
    return this.events;
  }

  /** Packet time of the last tick (µs): the pipeline's "now"; -Infinity before the first packet. */
  get packetTimeUs(): number {
    return this.lastTickUs;
  }

  /** Recent traffic per device and destination, for storage (drained by its owner; empty unless `traffic` was given). */
  get trafficRecorder(): TrafficRecorder {
    return this.traffic;
  }

  /** Profiles and baselines per device. */
  get profileEngine(): ProfileEngine {
    return this.profiles;
  }

  /** The device map, for components that act on devices (presence, profiles). */
  get deviceMap(): DeviceMap {
    return this.devices;
  }

  /** Records where packets came from and what the reader met on the way. */
  addSource(name: string, problems: readonly CaptureProblem[] = [], skippedPackets = 0, stats?: CaptureStats): void {
    this.sources.push(name);
    if (stats) {
      this.dropped.byKernel += stats.droppedByKernel;
      this.dropped.byInterface += stats.droppedByInterface;
      this.dropped.byHeimdal += stats.droppedByUs;
    }
    for (const problem of problems) this.problems.push({ source: name, ...problem });
    this.skipped += skippedPackets;
  }

  /** Ends all flows and builds the report. */
  finish(): AnalysisReport {
    this.flows.flush("end_of_capture");
    if (Number.isFinite(this.lastUs)) {
      this.devices.flush(this.lastUs);
      for (const event of this.devices.drainEvents()) {
        this.events.push(event);
        this.detection.onDeviceEvent(event);
      }
      this.detection.tick(this.lastUs);
    }
    const malformed: Record<string, number> = {};
    for (let i = 1; i < MALFORMED_REASONS.length; i++) {
      const count = this.malformedCounts[i]!;
      if (count > 0) malformed[MALFORMED_REASONS[i]!] = count;
    }
    const hasPackets = this.packets > 0 && Number.isFinite(this.firstUs);
    return {
      version: 4,
      sources: this.sources,
      packets: this.packets,
      bytes: this.bytes,
      malformed,
      truncatedPackets: this.truncated,
      skippedPackets: this.skipped,
      dropped: this.dropped,
      captureProblems: this.problems,
      durationSeconds: hasPackets ? Math.round(this.lastUs - this.firstUs) / 1e6 : 0,
      startTime: hasPackets ? new Date(Math.floor(this.firstUs / 1000)).toISOString() : null,
      endTime: hasPackets ? new Date(Math.floor(this.lastUs / 1000)).toISOString() : null,
      devices: this.devices
        .records()
        // Counters restart with the analysis: a device learned but silent since is not reported.
        .filter((record) => record.packets > 0)
        .map((record) => toDeviceReport(record, this.profiles, Math.floor(this.lastUs / 1000)))
        .sort((a, b) => b.bytes - a.bytes || a.mac.localeCompare(b.mac)),
      events: this.events.map(toEventReport),
      alerts: this.detection.alerts().map(toAlertReport),
      incidents: this.detection.allIncidents().map(toIncidentReport),
      enforcementRequests: (this.detection.enforcement?.requests ?? []).map((r) => ({
        ...r,
        requestedAt: new Date(r.requestedAt).toISOString(),
        expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(),
      })),
      exclusionHits: this.detection.sink.exclusions
        .filter((e) => e.hits > 0)
        .map((e) => ({ id: e.id, comment: e.comment, hits: e.hits })),
      malformedMessages: { ...this.evidence.stats.malformed },
      flows: {
        count: this.talkers.count,
        evicted: this.flows.stats.evicted,
        byProtocol: this.talkers.byProtocol(),
        topTalkers: this.talkers.top(this.topTalkers),
      },
    };
  }
}
