import { formatIp, formatMac, isGroupMac } from "../../packet/address.js";
import { type DecodedPacket, IpProtocol, TcpFlag } from "../../packet/decoded-packet.js";
import type { Detector, DetectorContext } from "../detector.js";

/**
 * Login services attackers guess passwords against: SSH, telnet, FTP, SMB, RDP, VNC, the
 * databases, mail logins, and VMware's authentication daemon (902). Browsers open many
 * connections to web ports, so those are never counted.
 */
const LOGIN_PORTS = new Map<number, string>([
  [21, "FTP"],
  [22, "SSH"],
  [23, "telnet"],
  [110, "POP3"],
  [143, "IMAP"],
  [445, "SMB"],
  [902, "VMware authentication"],
  [1433, "SQL Server"],
  [2222, "SSH"],
  [3306, "MySQL"],
  [3389, "remote desktop (RDP)"],
  [5432, "PostgreSQL"],
  [5900, "VNC"],
  [8291, "MikroTik Winbox"],
]);

const WINDOW_US = 60e6;
const MAX_PAIRS = 4096;

interface Attempts {
  firstUs: number;
  /** Connection attempts (SYNs) in the current window. */
  count: number;
  windowStartUs: number;
}

/**
 * brute_force: one source opening many new connections to one login service of one host in
 * a minute — the rhythm of password guessing (Slips' SSH brute force capture: 67 connections
 * in 13 s). A person logging in opens one or two; automation that reconnects does so slowly.
 */
export function bruteForceDetector(context: DetectorContext): Detector {
  const pairs = new Map<string, Attempts>();
  let dropped = 0;
  return {
    type: "brute_force",
    onPacket(p: DecodedPacket) {
      // SYN without ACK only: one per connection attempt.
      if (p.protocol !== IpProtocol.TCP || (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) return;
      const service = LOGIN_PORTS.get(p.dstPort);
      if (service === undefined || isGroupMac(p.srcMac) || context.isSensor(p.srcMac)) return;
      const key = `${formatIp(p.srcAddress)}>${formatIp(p.dstAddress)}:${p.dstPort}`;
      const now = p.timestampUs;
      let attempts = pairs.get(key);
      if (!attempts) {
        if (pairs.size >= MAX_PAIRS) {
          for (const [k, a] of pairs) if (now - a.windowStartUs > WINDOW_US) pairs.delete(k);
          if (pairs.size >= MAX_PAIRS) {
            dropped++;
            return;
          }
        }
        attempts = { firstUs: now, count: 0, windowStartUs: now };
        pairs.set(key, attempts);
      }
      if (now - attempts.windowStartUs > WINDOW_US) {
        attempts.windowStartUs = now;
        attempts.count = 0;
        attempts.firstUs = now;
      }
      attempts.count++;
      const sender = context.devices.get(p.srcMac);
      const deviceId = sender?.id ?? null;
      // 20 attempts a minute at the default sensitivity, 10 at the most sensitive, 30 at the least.
      const threshold = Math.round(30 - 20 * context.sensitivity("brute_force", deviceId));
      if (attempts.count !== threshold) return;
      const target = `${formatIp(p.dstAddress)} port ${p.dstPort}`;
      const seconds = Math.max(1, Math.round((now - attempts.firstUs) / 1e6));
      context.raise({
        type: "brute_force",
        severity: "high",
        confidence: 0.85,
        deviceId,
        mac: formatMac(p.srcMac),
        time: now / 1000,
        firstEvidence: attempts.firstUs / 1000,
        key,
        description: `${sender ? "A device on your network" : formatIp(p.srcAddress)} opened ${attempts.count} ${service} logins to ${target} in ${seconds} s: this is how passwords are guessed.`,
        normal: `A person logging in to ${service} opens one or two connections, not ${threshold} a minute.`,
        observed: `${attempts.count} connection attempts from ${formatIp(p.srcAddress)} to ${target} within ${seconds} s.`,
        evidence: {
          source: formatIp(p.srcAddress),
          destination: formatIp(p.dstAddress),
          port: `tcp/${p.dstPort}`,
          service,
          attempts: attempts.count,
          seconds,
          droppedPairs: dropped,
        },
      });
    },
  };
}
