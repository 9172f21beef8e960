/**
 * Where everything sits on the network map, computed from the data alone (no DOM measuring),
 * so the same input always draws the same picture. Wide screens: device groups on the left,
 * the gateway in the middle, destinations on the right. Phones: one column, devices above the
 * gateway and destinations below it, joined by a trunk on the left.
 */

export interface MapDevice {
  id: string;
  /** Device-supplied text: drawn as SVG text only. */
  name: string;
  type: string;
  online: boolean;
  bytes: number;
}

export interface MapGroup {
  type: string;
  label: string;
  devices: MapDevice[];
  bytes: number;
}

export interface MapDestination {
  name: string;
  bytes: number;
  devices: number;
}

export type PlacedRow =
  | { kind: "group"; key: string; group: MapGroup; expanded: boolean; x: number; y: number; anchor: Point }
  | { kind: "device"; key: string; device: MapDevice; x: number; y: number; anchor: Point };

export interface PlacedDestination {
  key: string;
  destination: MapDestination;
  x: number;
  y: number;
  anchor: Point;
}

export interface Point {
  x: number;
  y: number;
}

export interface MapLayout {
  width: number;
  height: number;
  gateway: Point;
  rows: PlacedRow[];
  destinations: PlacedDestination[];
  /** Links as SVG path data with their stroke width; `key` is the row's or the destination's. */
  links: { key: string; d: string; width: number; side: "device" | "destination" }[];
}

export const ROW_HEIGHT = 26;
const WIDE = { width: 920, rowsRight: 310, gatewayX: 460, destinationsLeft: 610 };
const NARROW = { width: 360, trunkX: 14, textX: 30 };
export const GATEWAY_RADIUS = 22;

/** 1 to 9 px, by the square root of the share of the largest: small flows stay visible, big ones do not swamp. */
export function lineWidth(bytes: number, maxBytes: number): number {
  if (bytes <= 0 || maxBytes <= 0) return 0;
  return Math.round((1 + 8 * Math.sqrt(bytes / maxBytes)) * 10) / 10;
}

export function layoutMap(
  groups: readonly MapGroup[],
  destinations: readonly MapDestination[],
  expanded: ReadonlySet<string>,
  narrow: boolean,
): Omit<MapLayout, "links"> & { links: MapLayout["links"] } {
  const visible: ({ kind: "group"; group: MapGroup } | { kind: "device"; device: MapDevice })[] = [];
  for (const group of groups) {
    visible.push({ kind: "group", group });
    if (expanded.has(group.type)) for (const device of group.devices) visible.push({ kind: "device", device });
  }
  const maxDevice = Math.max(0, ...groups.map((g) => g.bytes));
  const maxDestination = Math.max(0, ...destinations.map((d) => d.bytes));
  const links: MapLayout["links"] = [];
  const rowBytes = (row: (typeof visible)[number]) => (row.kind === "group" ? row.group.bytes : row.device.bytes);
  const place = (row: (typeof visible)[number], x: number, y: number, anchor: Point): PlacedRow =>
    row.kind === "group"
      ? {
          kind: "group",
          key: `group:${row.group.type}`,
          group: row.group,
          expanded: expanded.has(row.group.type),
          x,
          y,
          anchor,
        }
      : { kind: "device", key: `device:${row.device.id}`, device: row.device, x, y, anchor };

  if (!narrow) {
    const height = Math.max(visible.length, destinations.length, 4) * ROW_HEIGHT + ROW_HEIGHT;
    const gateway = { x: WIDE.gatewayX, y: height / 2 };
    const top = (count: number) => (height - count * ROW_HEIGHT) / 2 + ROW_HEIGHT / 2;
    const rowsTop = top(visible.length);
    const rows = visible.map((row, i) => {
      const y = rowsTop + i * ROW_HEIGHT;
      const anchor = { x: WIDE.rowsRight + 6, y };
      const placed = place(row, 0, y, anchor);
      const width = lineWidth(rowBytes(row), maxDevice);
      if (width > 0)
        links.push({
          key: placed.key,
          d: curve(anchor, { x: gateway.x - GATEWAY_RADIUS, y: gateway.y }),
          width,
          side: "device",
        });
      return placed;
    });
    const destinationsTop = top(destinations.length);
    const placedDestinations = destinations.map((destination, i) => {
      const y = destinationsTop + i * ROW_HEIGHT;
      const anchor = { x: WIDE.destinationsLeft - 6, y };
      const key = `destination:${destination.name}`;
      links.push({
        key,
        d: curve({ x: gateway.x + GATEWAY_RADIUS, y: gateway.y }, anchor),
        width: lineWidth(destination.bytes, maxDestination),
        side: "destination",
      });
      return { key, destination, x: WIDE.destinationsLeft, y, anchor };
    });
    return { width: WIDE.width, height, gateway, rows, destinations: placedDestinations, links };
  }

  // Phone: rows, then the gateway, then destinations, each row joined to a trunk on the left.
  const rowsTop = ROW_HEIGHT / 2;
  const gateway = { x: NARROW.trunkX + GATEWAY_RADIUS, y: rowsTop + visible.length * ROW_HEIGHT + GATEWAY_RADIUS + 8 };
  const rows = visible.map((row, i) => {
    const y = rowsTop + i * ROW_HEIGHT;
    const anchor = { x: NARROW.textX - 4, y };
    const placed = place(row, NARROW.textX, y, anchor);
    const width = lineWidth(rowBytes(row), maxDevice);
    if (width > 0)
      links.push({ key: placed.key, d: `M${NARROW.trunkX},${gateway.y}V${y}H${anchor.x}`, width, side: "device" });
    return placed;
  });
  const destinationsTop = gateway.y + GATEWAY_RADIUS + 8 + ROW_HEIGHT / 2;
  const placedDestinations = destinations.map((destination, i) => {
    const y = destinationsTop + i * ROW_HEIGHT;
    const anchor = { x: NARROW.textX - 4, y };
    const key = `destination:${destination.name}`;
    links.push({
      key,
      d: `M${NARROW.trunkX},${gateway.y}V${y}H${anchor.x}`,
      width: lineWidth(destination.bytes, maxDestination),
      side: "destination",
    });
    return { key, destination, x: NARROW.textX, y, anchor };
  });
  const height = destinationsTop + Math.max(destinations.length, 1) * ROW_HEIGHT;
  return { width: NARROW.width, height, gateway, rows, destinations: placedDestinations, links };
}

function curve(from: Point, to: Point): string {
  const mid = (from.x + to.x) / 2;
  return `M${from.x},${from.y}C${mid},${from.y} ${mid},${to.y} ${to.x},${to.y}`;
}
