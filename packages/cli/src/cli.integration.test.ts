import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// Runs the built command exactly as a user does (npm test compiles before the tests run).
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const execFileAsync = promisify(execFile);
const shared = resolve(root, "../shared/data");
const scratch = mkdtempSync(join(tmpdir(), "heimdal-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs the built CLI. Asynchronous on purpose: a file of tests that each block on a child
 * process never lets the vitest worker read its runner's replies, and past 60 s of that the
 * worker's RPC times out although every test passed.
 */
function heimdal(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (status) => resolveRun({ status, stdout, stderr }));
  });
}

async function analyzeJson(...args: string[]) {
  const result = await heimdal("analyze", "--format", "json", ...args);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
}

/** Packet count and total wire bytes as Wireshark's capinfos reports them. */
async function capinfos(file: string): Promise<{ packets: number; bytes: number }> {
  const { stdout } = await execFileAsync("capinfos", ["-c", "-d", "-M", "-T", file], { encoding: "utf8" });
  const line = stdout.trim().split("\n").at(-1)!;
  const [, packets, bytes] = line.split("\t");
  return { packets: Number(packets), bytes: Number(bytes) };
}

function captures(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return captures(path);
    const magic = readFileSync(path).subarray(0, 4).toString("hex");
    return ["d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d", "0a0d0d0a"].includes(magic) ? [path] : [];
  });
}

describe("heimdal command line", () => {
  it("prints help and exits 0", async () => {
    const result = await heimdal("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("analyze [--learn FILE]");
  });

  it("rejects an unknown command with status 2 and names it", async () => {
    const result = await heimdal("frobnicate");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it("rejects a bad --format value by name", async () => {
    const result = await heimdal("analyze", "--format", "xml", "x.pcap");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--format must be "json" or "text", got "xml"');
  });

  it("says which file is not a capture and why", async () => {
    const path = join(scratch, "notes.pcap");
    writeFileSync(path, "hello, this is text");
    const result = await heimdal("analyze", path);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${path}: not a pcap or pcapng file (magic number 0x68656c6c at byte 0)`);
  });

  // One test per capture: each blocks the worker only while its two commands run (a single
  // test over all of them held it for a minute on a loaded machine, past vitest's RPC timeout).
  const sharedCaptures = existsSync(shared) ? captures(shared).filter((f) => !f.includes("/bench/")) : [];
  it("finds every shared capture", async () => {
    expect(sharedCaptures.length).toBeGreaterThan(40);
  });

  it.each(sharedCaptures.map((file) => [relative(shared, file), file]))(
    "counts every packet and wire byte of %s as capinfos does",
    async (_name, file) => {
      const report = await analyzeJson(file);
      const truth = await capinfos(file);
      expect({ file, packets: report.packets + report.skippedPackets }).toEqual({ file, packets: truth.packets });
      if (report.skippedPackets === 0) expect({ file, bytes: report.bytes }).toEqual({ file, bytes: truth.bytes });
    },
    60_000,
  );

  it("keeps every packet before a truncation and reports the byte offset", async () => {
    const source = join(shared, "chrissanders/synscan.pcapng");
    const bytes = readFileSync(source);
    const cut = join(scratch, "cut.pcapng");
    writeFileSync(cut, bytes.subarray(0, 100_001));
    const report = await analyzeJson(cut);
    expect(report.captureProblems).toHaveLength(1);
    expect(report.captureProblems[0].kind).toBe("truncated");
    const offset = report.captureProblems[0].byteOffset;
    expect(offset).toBeLessThan(100_001);
    // tshark reads the same cut file up to the same point.
    const tsharkCount = Number(
      execFileSync("sh", ["-c", `tshark -r ${cut} -T fields -e frame.number 2>/dev/null | wc -l`], {
        encoding: "utf8",
      }),
    );
    expect(report.packets).toBe(tsharkCount);
    expect(report.packets).toBeGreaterThan(900);
  });

  it("reports an unsupported link type once and skips its packets", async () => {
    const report = await analyzeJson(join(shared, "ndpi/format-variants/someip_sd_sample.pcap"));
    // PPI (192) wraps Ethernet here and is decoded; nothing is skipped.
    expect(report.skippedPackets).toBe(0);
    expect(report.packets).toBe((await capinfos(join(shared, "ndpi/format-variants/someip_sd_sample.pcap"))).packets);
  });

  it("lists local devices with their LAN addresses only", async () => {
    const report = await analyzeJson(join(shared, "chrissanders/arppoison.pcapng"));
    const attacker = report.devices.find((d: { mac: string }) => d.mac === "00:25:b3:bf:91:ee");
    expect(attacker).toBeDefined();
    for (const device of report.devices) {
      for (const ip of device.ips)
        expect(ip).toMatch(/^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|169\.254\.|fe80:|f[cd])/);
    }
  });

  it("does not count --learn files in the report", async () => {
    const learn = join(shared, "chrissanders/arppoison.pcapng");
    const file = join(shared, "chrissanders/dhcp_nolease_initialization.pcapng");
    const report = await analyzeJson("--learn", learn, file);
    expect(report.sources).toEqual([file]);
    expect(report.packets).toBe((await capinfos(file)).packets);
  });

  it("learns a readable baseline from a week of each real lock hub: cloud endpoint, rhythm, hours", async () => {
    // devices.tsv of tj-oconnor-iot names each hub's main cloud destination.
    const expected: Record<string, string> = {
      "lockly-hub-01": "aliyuncs.com",
      "schlage-lock-01": "amazonaws.com",
      "sifely-hub-01": "sciener.cn",
      "ultraloq-hub-01": "amazonaws.com",
      "blink-cam-01": "immedia-semi.com",
    };
    for (const [name, cloud] of Object.entries(expected)) {
      const report = await analyzeJson(join(shared, `tj-oconnor-iot/${name}.pcap`));
      const hub = report.devices.find((d: { role: string }) => d.role === "device");
      const baseline = hub.baseline;
      expect(baseline.daysObserved, name).toBeGreaterThanOrEqual(6);
      expect(baseline.confidence, name).toBeGreaterThanOrEqual(0.86);
      const endpoint = baseline.topDestinations.find((d: { destination: string }) => d.destination === cloud);
      expect(endpoint, `${name} talks to ${cloud}`).toBeDefined();
      expect(endpoint.days, name).toBeGreaterThanOrEqual(5);
      // A keep-alive rhythm: several connections a day, so a typical interval under a few hours.
      expect(endpoint.typicalIntervalSeconds, name).toBeLessThan(4 * 3600);
      expect(
        hub.profile.topDestinations.map((d: { destination: string }) => d.destination),
        name,
      ).toContain(cloud);
    }
  });

  it("carries what --learn files teach into the analysis without reporting them", async () => {
    const week = join(shared, "tj-oconnor-iot/ultraloq-hub-01.pcap");
    const other = join(shared, "chrissanders/dhcp_nolease_initialization.pcapng");
    const report = await analyzeJson("--learn", week, other);
    // The hub is not in the analyzed file, so it is not reported; the learned week shows in no counter.
    expect(report.devices.map((d: { mac: string }) => d.mac)).not.toContain("a4:cf:12:32:5b:88");
    expect(report.packets).toBe((await capinfos(other)).packets);
    const learnedThenSeen = await analyzeJson("--learn", week, week);
    const hub = learnedThenSeen.devices.find((d: { mac: string }) => d.mac === "a4:cf:12:32:5b:88");
    expect(hub.baseline.state).toBe("ready");
    expect(learnedThenSeen.events.filter((e: { type: string }) => e.type === "device_new")).toHaveLength(0);
  });

  it("matches flows against --threat-list files and names the bad lines", async () => {
    const list = join(scratch, "blocklist.txt");
    writeFileSync(list, "# a plain list\n52.89.250.177\n10.0.0.0/33\n");
    const result = await heimdal(
      "analyze",
      "--format",
      "json",
      "--threat-list",
      list,
      join(shared, "tj-oconnor-iot/schlage-lock-01.pcap"),
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("threat list blocklist.txt: 1 entries, 1 lines skipped");
    expect(result.stderr).toContain(`${list}:3: bad prefix length`);
    const match = JSON.parse(result.stdout).alerts.find((a: { type: string }) => a.type === "threat_intel_match");
    expect(match).toMatchObject({ severity: "critical", mac: "78:db:2f:db:43:48" });
    expect(match.evidence).toMatchObject({ list: "blocklist.txt" });
  });

  it("applies exclusions from a file and counts what they suppressed", async () => {
    const scan = join(shared, "chrissanders/synscan.pcapng");
    const before = await analyzeJson(scan);
    const scanner = before.alerts.find((a: { type: string }) => a.type === "port_scan");
    expect(scanner).toBeDefined();
    const file = join(scratch, "exclusions.json");
    writeFileSync(
      file,
      JSON.stringify({
        exclusions: [{ id: "pentest", comment: "our own audit", type: "port_scan", deviceId: scanner.deviceId }],
      }),
    );
    const after = await analyzeJson("--exclusions", file, scan);
    expect(after.alerts.filter((a: { type: string }) => a.type === "port_scan")).toEqual([]);
    expect(after.exclusionHits).toEqual([{ id: "pentest", comment: "our own audit", hits: expect.any(Number) }]);
    writeFileSync(file, JSON.stringify({ exclusions: [{ id: "x", comment: "y", port: "443" }] }));
    const bad = await heimdal("analyze", "--exclusions", file, scan);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${file}: exclusions[0].port must look like "tcp/443"`);
  });

  it("takes sensitivity per detector, and more sensitivity never means fewer alerts", async () => {
    const capture = join(shared, "slips/test7-malicious.pcap");
    const counts: number[] = [];
    for (const s of ["0", "0.5", "1"]) counts.push((await analyzeJson("--sensitivity", s, capture)).alerts.length);
    expect(counts[1]).toBeGreaterThanOrEqual(counts[0]!);
    expect(counts[2]).toBeGreaterThanOrEqual(counts[1]!);
    const bad = await heimdal("analyze", "--sensitivity", "port_scan=2", capture);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('sensitivity[0] ("port_scan=2") must be a number from 0 to 1');
  });

  it("analyzes several files as one stream", async () => {
    const a = join(shared, "dmachard-dns/iodine.pcap");
    const b = join(shared, "dmachard-dns/dnscat2.pcap");
    const report = await analyzeJson(a, b);
    expect(report.sources).toEqual([a, b]);
    expect(report.packets).toBe((await capinfos(a)).packets + (await capinfos(b)).packets);
  });

  it("simulates deterministically, and tshark reads the result without errors", async () => {
    const one = join(scratch, "one.pcap");
    const two = join(scratch, "two.pcap");
    expect((await heimdal("simulate", "--out", one, "--devices", "5", "--hours", "0.5", "--seed", "3")).status).toBe(0);
    expect((await heimdal("simulate", "--out", two, "--devices", "5", "--hours", "0.5", "--seed", "3")).status).toBe(0);
    expect(readFileSync(one).equals(readFileSync(two))).toBe(true);
    const expert = execFileSync(
      "sh",
      [
        "-c",
        `tshark -r ${one} -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -Y '_ws.malformed or _ws.expert.severity >= error' 2>/dev/null | wc -l`,
      ],
      { encoding: "utf8" },
    );
    expect(Number(expert)).toBe(0);
    const report = await analyzeJson(one);
    expect(report.packets).toBe((await capinfos(one)).packets);
    expect(report.devices.map((d: { ips: string[] }) => d.ips[0]).sort()).toEqual(
      ["192.168.1.1", "192.168.1.10", "192.168.1.11", "192.168.1.12", "192.168.1.13", "192.168.1.14"].sort(),
    );
  });

  it("runs the demo on its embedded default and cleans up", async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("heimdal-demo-")).length;
    const result = await heimdal("demo");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Lucas-iPhone");
    expect(result.stdout).toMatch(/Devices \(9\)/);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("heimdal-demo-")).length).toBe(before);
  });

  it("is installed as the workspace bin", async () => {
    const link = join(root, "node_modules/.bin/heimdal");
    expect(existsSync(link)).toBe(true);
    expect(statSync(link).isFile()).toBe(true);
  });
});
