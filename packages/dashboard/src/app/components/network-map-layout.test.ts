import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { layoutMap, lineWidth, type MapDestination, type MapGroup, ROW_HEIGHT } from "./network-map-layout.js";

const group = (type: string, count: number, bytes: number): MapGroup => ({
  type,
  label: type,
  bytes: bytes * count,
  devices: Array.from({ length: count }, (_, i) => ({
    id: `${type}-${i}`,
    name: `${type} ${i}`,
    type,
    online: i % 2 === 0,
    bytes,
  })),
});

const groupsArb = fc
  .uniqueArray(fc.constantFrom("phone", "camera", "tv", "computer", "speaker", "unknown"), { maxLength: 6 })
  .chain((types) =>
    fc
      .tuple(...types.map((type) => fc.tuple(fc.constant(type), fc.nat(30), fc.nat(10 ** 9))))
      .map((specs) => specs.map(([type, count, bytes]) => group(type, count, bytes))),
  );
const destinationsArb = fc.uniqueArray(fc.record({ name: fc.domain(), bytes: fc.nat(10 ** 9), devices: fc.nat(100) }), {
  maxLength: 12,
  selector: (d) => d.name,
});

describe("layoutMap", () => {
  it("shows a closed group as one row and an open one with a row per device", () => {
    const groups = [group("camera", 3, 100), group("tv", 2, 50)];
    const closed = layoutMap(groups, [], new Set(), false);
    expect(closed.rows.map((r) => r.key)).toEqual(["group:camera", "group:tv"]);
    const open = layoutMap(groups, [], new Set(["tv"]), false);
    expect(open.rows.map((r) => r.key)).toEqual(["group:camera", "group:tv", "device:tv-0", "device:tv-1"]);
  });

  it("never overlaps rows, keeps everything inside the drawing, and links every row with traffic", () => {
    fc.assert(
      fc.property(groupsArb, destinationsArb, fc.boolean(), fc.boolean(), (groups, destinations, narrow, openAll) => {
        const expanded = new Set(openAll ? groups.map((g) => g.type) : []);
        const layout = layoutMap(groups, destinations as MapDestination[], expanded, narrow);
        // Wide: two columns, each without overlaps. Phone: one column, the gateway inside it.
        const columns = narrow
          ? [[...layout.rows, ...layout.destinations].map((r) => r.y).concat(layout.gateway.y)]
          : [layout.rows.map((r) => r.y), layout.destinations.map((d) => d.y)];
        for (const column of columns) {
          column.sort((a, b) => a - b);
          for (let i = 1; i < column.length; i++)
            expect(column[i]! - column[i - 1]!).toBeGreaterThanOrEqual(ROW_HEIGHT - 1e-9);
        }
        for (const y of columns.flat()) {
          expect(y).toBeGreaterThan(0);
          expect(y).toBeLessThan(layout.height);
        }
        const rowsWithTraffic = layout.rows.filter((r) => (r.kind === "group" ? r.group.bytes : r.device.bytes) > 0);
        expect(layout.links.filter((l) => l.side === "device").map((l) => l.key)).toEqual(
          rowsWithTraffic.map((r) => r.key),
        );
        for (const link of layout.links) expect(link.width).toBeLessThanOrEqual(9);
      }),
    );
  });
});

describe("lineWidth", () => {
  it("grows with bytes from 1 to 9 px, and is 0 without traffic", () => {
    expect(lineWidth(0, 100)).toBe(0);
    expect(lineWidth(100, 100)).toBe(9);
    expect(lineWidth(1, 10 ** 12)).toBeGreaterThanOrEqual(1);
    expect(lineWidth(25, 100)).toBeLessThan(lineWidth(50, 100));
  });
});
