import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AlertInput } from "./alert.js";
import { AlertSink } from "./alert-sink.js";
import { IncidentCorrelator } from "./incidents.js";

const HOUR = 3_600_000;

function input(time: number, key: string, deviceId = "dev-1"): AlertInput {
  return {
    type: "port_scan",
    severity: "medium",
    confidence: 0.8,
    deviceId,
    mac: "00:11:22:33:44:55",
    time,
    firstEvidence: time,
    key,
    description: "d",
    normal: "n",
    observed: "o",
    evidence: {},
  };
}

describe("forgetting what a long-running sensor has stored", () => {
  it("forgets only stored alerts past their cooldown; a later alert of the same key is new, not a repeat", () => {
    const sink = new AlertSink({ cooldownSeconds: 3600 });
    sink.raise(input(0, "a"));
    sink.raise(input(40 * 60_000, "b"));
    sink.raise(input(2 * HOUR, "c"));
    // Only the first two were stored; at 1 h 30 the first is past its cooldown, the second is not.
    const forgotten = sink.forgetSettled(1.5 * HOUR, 2);
    expect(forgotten.map((a) => a.key)).toEqual(["a"]);
    expect(sink.all().map((a) => a.key)).toEqual(["b", "c"]);
    // "b" can still take a repeat; "a" has no state left, so a new "a" is a new alert.
    expect(sink.raise(input(1.5 * HOUR, "b"))).toBeUndefined();
    expect(sink.all()[0]!.repeats).toBe(1);
    expect(sink.raise(input(1.5 * HOUR, "a"))?.key).toBe("a");
  });

  it("never forgets an alert that was not stored yet, nor one a repeat could still reach", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 10 * HOUR }), key: fc.constantFrom("a", "b", "c") }), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 12 * HOUR }),
        (raised, stored, now) => {
          const sink = new AlertSink({ cooldownSeconds: 3600 });
          for (const { at, key } of [...raised].sort((x, y) => x.at - y.at)) sink.raise(input(at, key));
          const before = [...sink.all()];
          const forgotten = sink.forgetSettled(now, stored);
          const storedOnes = before.slice(0, stored);
          for (const alert of forgotten) {
            expect(storedOnes).toContain(alert);
            expect(alert.time).toBeLessThan(now - HOUR);
          }
          // What is kept keeps its order, and nothing else went missing.
          expect(sink.all()).toEqual(before.filter((a) => !forgotten.includes(a)));
        },
      ),
    );
  });

  it("forgets incidents that closed, and opens a new one for a later alert of the device", () => {
    const incidents = new IncidentCorrelator(1800);
    const first = incidents.add({ ...input(0, "a"), id: "x1" });
    incidents.add({ ...input(HOUR, "b", "dev-2"), id: "x2" });
    expect(incidents.forgetClosed(HOUR)).toBe(1);
    expect(incidents.all().map((i) => i.deviceId)).toEqual(["dev-2"]);
    const later = incidents.add({ ...input(HOUR + 60_000, "c"), id: "x3" });
    expect(later.id).not.toBe(first.id);
    expect(later.alertIds).toEqual(["x3"]);
  });
});
