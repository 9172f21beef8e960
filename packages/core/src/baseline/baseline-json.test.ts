import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BaselineFormatError, parseBaselineJson } from "./baseline-json.js";
import { DeviceBaseline } from "./device-baseline.js";

const MONDAY = Date.UTC(2026, 10, 2);
/** A parsed JSON document the tests mutate freely. */
type Loose = ReturnType<typeof JSON.parse>;

function sample() {
  const baseline = new DeviceBaseline("dev-001122334455");
  baseline.addConnection({
    start: MONDAY,
    end: MONDAY + 1000,
    protocol: "tcp",
    destination: "example.com",
    destinationName: "api.example.com",
    remoteIp: "93.184.216.34",
    remotePort: 443,
    localPort: 50000,
    outbound: true,
    bytesUp: 10,
    bytesDown: 20,
    packetsUp: 1,
    packetsDown: 1,
  });
  baseline.addGolden({ source: "golden:test", destinations: ["example.com"], ports: ["tcp/443"] });
  return baseline.toJSON();
}

describe("baseline JSON import", () => {
  it("accepts what export produces", () => {
    const json = JSON.parse(JSON.stringify(sample()));
    expect(parseBaselineJson(json)).toEqual(sample());
  });

  it.each([
    [(j: Loose) => (j.schema = 2), "baseline.schema must be 1, got 2"],
    [(j: Loose) => (j.deviceId = ""), "baseline.deviceId must be a non-empty string"],
    [(j: Loose) => (j.days[0].hourly = [1, 2]), "baseline.days[0].hourly must be 24 non-negative numbers"],
    [(j: Loose) => (j.days[0].connections = -1), "baseline.days[0].connections must be a non-negative number"],
    [
      (j: Loose) => (j.days[0].destinations["example.com"].bytes = "x"),
      'baseline.days[0].destinations["example.com"] must have',
    ],
    [(j: Loose) => (j.golden[0].ports = [443]), "baseline.golden[0].ports must be an array of strings"],
  ])("names the field that is wrong (%#)", (mutate, message) => {
    const json = JSON.parse(JSON.stringify(sample()));
    mutate(json);
    expect(() => parseBaselineJson(json)).toThrow(BaselineFormatError);
    expect(() => parseBaselineJson(json)).toThrow(message);
  });

  it("either accepts or rejects with a BaselineFormatError, whatever the input (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const parsed = parseBaselineJson(value);
          new DeviceBaseline(parsed.deviceId).merge(parsed);
        } catch (error) {
          expect(error).toBeInstanceOf(BaselineFormatError);
        }
      }),
    );
  });
});
