/**
 * A small mDNS (RFC 6762) and SSDP responder for discovery tests: a "smart speaker" that
 * owns HOST.local and offers one DNS-SD service, like a cast speaker does.
 *
 *   node mdns-responder.mjs --name kitchen-speaker --address 10.77.0.20 [--announce-every S]
 *
 * mDNS: announces its records at start (three times, one second apart: RFC 6762 §8.3), then
 * every --announce-every seconds if given (so that tests see a device that keeps talking),
 * and answers queries for HOST.local (A), its service type and instance (PTR, SRV, TXT) and
 * the DNS-SD service enumeration (PTR _services._dns-sd._udp.local: RFC 6763 §9). Answers go
 * to 224.0.0.251:5353, or by unicast to a querier that asked from another port or with the
 * QU bit.
 * SSDP: answers an M-SEARCH for ssdp:all, upnp:rootdevice or its own type by unicast, with a
 * LOCATION whose HTTP server (port 8008) serves its UPnP description: friendly name
 * "Kitchen speaker", Google's Google Home.
 *
 * Prints one JSON line per event on stdout: {"event":"ready"}, {"event":"query",…},
 * {"event":"msearch",…}, {"event":"announce"}, {"event":"description","from":…}.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    address: { type: "string" },
    "announce-every": { type: "string" },
  },
});
if (!values.name || !values.address) throw new Error("usage: mdns-responder.mjs --name HOST --address IPV4");
const host = `${values.name}.local`;
const address = values.address;
const SERVICE = "_googlecast._tcp.local";
const INSTANCE = `${values.name}.${SERVICE}`;
const META = "_services._dns-sd._udp.local";
const SERVER = "Linux/5.15 UPnP/1.0 HeimdalTestSpeaker/1.0";
const DEVICE_TYPE = "urn:dial-multiscreen-org:device:dial:1";
const A = 1;
const PTR = 12;
const TXT = 16;
const SRV = 33;
const ANY = 255;
const CACHE_FLUSH = 0x8000;

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

function encodeName(name) {
  const parts = [];
  for (const label of name.split(".")) {
    const bytes = Buffer.from(label, "utf8");
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function record(name, type, data, { flush = false, ttl = 120 } = {}) {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1 | (flush ? CACHE_FLUSH : 0), 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(name), fixed, data]);
}

const aRecord = () => record(host, A, Buffer.from(address.split(".").map(Number)), { flush: true });
const servicePtr = () => record(SERVICE, PTR, encodeName(INSTANCE), { ttl: 4500 });
const metaPtr = () => record(META, PTR, encodeName(SERVICE), { ttl: 4500 });
function srvRecord() {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(8009, 4); // priority 0, weight 0, port 8009
  return record(INSTANCE, SRV, Buffer.concat([head, encodeName(host)]), { flush: true });
}
function txtRecord() {
  const entry = Buffer.from("md=Heimdal Test Speaker", "utf8");
  return record(INSTANCE, TXT, Buffer.concat([Buffer.from([entry.length]), entry]), { flush: true });
}

function response(answers, additionals = []) {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x8400, 2); // response, authoritative
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(additionals.length, 10);
  return Buffer.concat([header, ...answers, ...additionals]);
}

/** Reads a possibly compressed name; returns [name, offset after it]. */
function readName(message, start) {
  const labels = [];
  let at = start;
  let end = -1;
  for (let jumps = 0; jumps < 32; ) {
    const length = message[at];
    if (length === undefined) throw new Error("name past the end");
    if (length === 0) {
      if (end < 0) end = at + 1;
      return [labels.join("."), end];
    }
    if ((length & 0xc0) === 0xc0) {
      if (end < 0) end = at + 2;
      at = ((length & 0x3f) << 8) | message[at + 1];
      jumps++;
      continue;
    }
    labels.push(message.subarray(at + 1, at + 1 + length).toString("utf8"));
    at += 1 + length;
  }
  throw new Error("name loop");
}

function questionsOf(message) {
  const count = message.readUInt16BE(4);
  const questions = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    const [name, next] = readName(message, at);
    questions.push({
      name: name.toLowerCase(),
      type: message.readUInt16BE(next),
      qu: (message[next + 2] & 0x80) !== 0,
    });
    at = next + 4;
  }
  return questions;
}

function answersFor(question) {
  const { name, type } = question;
  const wants = (t) => type === t || type === ANY;
  if (name === host && wants(A)) return [[aRecord()], []];
  if (name === META && wants(PTR)) return [[metaPtr()], []];
  if (name === SERVICE && wants(PTR)) return [[servicePtr()], [srvRecord(), txtRecord(), aRecord()]];
  if (name === INSTANCE && (wants(SRV) || wants(TXT))) return [[srvRecord(), txtRecord()], [aRecord()]];
  return [[], []];
}

const mdns = createSocket({ type: "udp4", reuseAddr: true });
mdns.on("message", (message, from) => {
  if (message.length < 12 || message[2] & 0x80) return; // responses are not for us
  let questions;
  try {
    questions = questionsOf(message);
  } catch {
    return;
  }
  emit({ event: "query", from: from.address, port: from.port, questions });
  const answers = [];
  const additionals = [];
  for (const q of questions) {
    const [a, extra] = answersFor(q);
    answers.push(...a);
    additionals.push(...extra);
  }
  if (answers.length === 0) return;
  const unicast = from.port !== 5353 || questions.some((q) => q.qu);
  // RFC 6762 §6: a shared-record answer waits 20–120 ms; a unique one may go at once.
  setTimeout(
    () => {
      const reply = response(answers, additionals);
      if (unicast) mdns.send(reply, from.port, from.address);
      else mdns.send(reply, 5353, "224.0.0.251");
    },
    20 + Math.floor(Math.random() * 100),
  );
});

function announce() {
  mdns.send(response([aRecord(), servicePtr(), srvRecord(), txtRecord()]), 5353, "224.0.0.251");
  emit({ event: "announce" });
}

const ssdp = createSocket({ type: "udp4", reuseAddr: true });
ssdp.on("message", (message, from) => {
  const text = message.toString("latin1");
  if (!text.startsWith("M-SEARCH * HTTP/1.1\r\n")) return;
  const st = /^ST:\s*(.+?)\s*$/im.exec(text)?.[1] ?? "";
  emit({ event: "msearch", from: from.address, port: from.port, st });
  if (st !== "ssdp:all" && st !== "upnp:rootdevice" && st !== DEVICE_TYPE) return;
  const reply =
    "HTTP/1.1 200 OK\r\n" +
    "CACHE-CONTROL: max-age=1800\r\n" +
    "EXT:\r\n" +
    `LOCATION: http://${address}:8008/ssdp/device-desc.xml\r\n` +
    `SERVER: ${SERVER}\r\n` +
    `ST: ${st === "ssdp:all" ? DEVICE_TYPE : st}\r\n` +
    `USN: uuid:6b1f5c5e-0000-4000-8000-${values.name
      .padEnd(12, "0")
      .slice(0, 12)
      .replace(/[^0-9a-f]/g, "0")}::${DEVICE_TYPE}\r\n` +
    "\r\n";
  // UDA 1.1 §1.3.3: answer after a random delay below MX seconds.
  setTimeout(
    () => ssdp.send(Buffer.from(reply, "latin1"), from.port, from.address),
    50 + Math.floor(Math.random() * 200),
  );
});

const DESCRIPTION = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>${DEVICE_TYPE}</deviceType><friendlyName>Kitchen speaker</friendlyName>
<manufacturer>Google Inc.</manufacturer><modelName>Google Home</modelName>
</device></root>`;
const http = createServer((request, response) => {
  emit({ event: "description", from: request.socket.remoteAddress, url: request.url });
  if (request.url !== "/ssdp/device-desc.xml") return void response.writeHead(404).end();
  response.writeHead(200, { "content-type": "text/xml" }).end(DESCRIPTION);
});

let bound = 0;
const onBound = () => {
  if (++bound < 3) return;
  emit({ event: "ready" });
  announce();
  let initial = 1;
  const again = setInterval(() => {
    announce();
    if (++initial >= 3) clearInterval(again);
  }, 1000);
  const every = Number(values["announce-every"]);
  if (every > 0) setInterval(announce, every * 1000);
};
mdns.bind(5353, () => {
  mdns.addMembership("224.0.0.251", address);
  mdns.setMulticastInterface(address);
  mdns.setMulticastTTL(255);
  mdns.setMulticastLoopback(false);
  onBound();
});
http.listen(8008, address, onBound);
ssdp.bind(1900, () => {
  ssdp.addMembership("239.255.255.250", address);
  onBound();
});
process.on("SIGTERM", () => process.exit(0));
