import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DetectionConfigError, parseExclusions, parseSensitivity } from "./detection-config.js";

describe("sensitivity settings", () => {
  it("reads global, per-detector and per-device values, later ones winning", () => {
    expect(parseSensitivity(["0.7", "port_scan=0.9", "device:dev-001122334455=0.1", "0.6"])).toEqual({
      global: 0.6,
      detectors: { port_scan: 0.9 },
      devices: { "dev-001122334455": 0.1 },
    });
  });

  it.each([
    ["1.5", 'sensitivity[0] ("1.5") must be a number from 0 to 1, got "1.5"'],
    ["portscan=0.5", 'sensitivity[0] ("portscan=0.5") detector must be one of new_device'],
    ["device:=0.5", 'a device id must follow "device:"'],
  ])("names what is wrong in %s", (setting, message) => {
    expect(() => parseSensitivity([setting])).toThrow(DetectionConfigError);
    expect(() => parseSensitivity([setting])).toThrow(message);
  });
});

describe("exclusions", () => {
  it("reads exclusions with their match fields, comment and expiry", () => {
    const [e] = parseExclusions({
      exclusions: [
        {
          id: "nas-backup",
          comment: "the NAS backs up nightly",
          type: "data_exfiltration",
          deviceId: "dev-001132000001",
          destination: "Backblazeb2.com",
          port: "tcp/443",
          expires: "2027-01-01T00:00:00Z",
        },
      ],
    });
    expect(e).toEqual({
      id: "nas-backup",
      comment: "the NAS backs up nightly",
      type: "data_exfiltration",
      deviceId: "dev-001132000001",
      destination: "backblazeb2.com",
      port: "tcp/443",
      expires: Date.UTC(2027, 0, 1),
      hits: 0,
    });
  });

  it.each([
    [{}, 'expected an object with an "exclusions" array'],
    [
      { exclusions: [{ id: "a", comment: "x" }] },
      "exclusions[0] must match on at least one of type, deviceId, destination, port",
    ],
    [{ exclusions: [{ id: "a", comment: "x", type: "scan" }] }, "exclusions[0].type must be one of"],
    [{ exclusions: [{ id: "a", comment: "x", port: "443" }] }, 'exclusions[0].port must look like "tcp/443"'],
    [{ exclusions: [{ id: "a", type: "port_scan" }] }, "exclusions[0].comment must be a non-empty string"],
    [
      {
        exclusions: [
          { id: "a", comment: "x", type: "port_scan" },
          { id: "a", comment: "y", type: "port_scan" },
        ],
      },
      'exclusions[1].id "a" is used twice',
    ],
    [
      { exclusions: [{ id: "a", comment: "x", type: "port_scan", expires: "soon" }] },
      'exclusions[0].expires must be an ISO 8601 time, got "soon"',
    ],
  ])("names the field that is wrong (%#)", (document, message) => {
    expect(() => parseExclusions(document)).toThrow(DetectionConfigError);
    expect(() => parseExclusions(document)).toThrow(message);
  });

  it("accepts or rejects any JSON with a DetectionConfigError, never anything else (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseExclusions(value);
          parseExclusions({ exclusions: [value] });
        } catch (error) {
          expect(error).toBeInstanceOf(DetectionConfigError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.string()), (settings) => {
        try {
          const config = parseSensitivity(settings);
          for (const v of [
            config.global,
            ...Object.values(config.detectors ?? {}),
            ...Object.values(config.devices ?? {}),
          ]) {
            if (v !== undefined) expect(v).toBeGreaterThanOrEqual(0);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(DetectionConfigError);
        }
      }),
    );
  });
});
