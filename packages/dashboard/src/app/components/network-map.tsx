import { type KeyboardEvent, type MouseEvent, useMemo, useState } from "react";
import { formatBytes } from "../format.js";
import { devicePath, useRouter } from "../router.js";
import { DEVICE_ICON_PATHS } from "./device-icon.js";
import type { MapData } from "./network-map-data.js";
import { GATEWAY_RADIUS, layoutMap, type PlacedRow } from "./network-map-layout.js";

/** Device-supplied names are drawn as SVG text (never markup), shortened so rows stay apart. */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface NetworkMapProps {
  data: MapData;
  narrow: boolean;
  /** Ids of the devices the search matched (highlighted; their groups open). */
  matches: ReadonlySet<string>;
  searching: boolean;
}

/**
 * The gateway in the middle, device groups on one side and the window's top destinations on the
 * other; line weight follows bytes. A group opens and closes on click; a device opens its page.
 */
export function NetworkMap({ data, narrow, matches, searching }: NetworkMapProps) {
  const { navigate } = useRouter();
  // Small networks start open; at 100 devices the groups start closed and open on demand.
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const openByDefault = data.deviceCount <= 24;
  const expanded = useMemo(() => {
    const open = new Set<string>();
    for (const group of data.groups) {
      const matched = group.devices.some((d) => matches.has(d.id));
      if (openByDefault !== toggled.has(group.type) || matched) open.add(group.type);
    }
    return open;
  }, [data.groups, matches, openByDefault, toggled]);
  const layout = useMemo(
    () => layoutMap(data.groups, data.destinations, expanded, narrow),
    [data.groups, data.destinations, expanded, narrow],
  );
  const talkedTo = selected === null ? undefined : data.destinationsOf.get(selected);
  const nameMax = narrow ? 30 : 34;

  const toggle = (type: string) =>
    setToggled((current) => {
      const next = new Set(current);
      if (!next.delete(type)) next.add(type);
      return next;
    });
  const onGroupKey = (event: KeyboardEvent, type: string) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    toggle(type);
  };
  const open = (event: MouseEvent, id: string) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(devicePath(id));
  };
  const rowClass = (row: PlacedRow) => {
    if (row.kind === "group") return "map-row map-group";
    const classes = ["map-row", "map-device", row.device.online ? "online" : "offline"];
    if (matches.has(row.device.id)) classes.push("match");
    else if (searching) classes.push("dim");
    return classes.join(" ");
  };
  const linkClass = (key: string, side: "device" | "destination") => {
    if (side === "destination" && talkedTo !== undefined)
      return talkedTo.has(key.slice("destination:".length)) ? "map-link hot" : "map-link faint";
    if (side === "device" && selected !== null) return key === `device:${selected}` ? "map-link hot" : "map-link faint";
    return "map-link";
  };

  return (
    <svg
      className={narrow ? "network-map narrow" : "network-map"}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      height={layout.height}
      aria-label="Network map: devices by type, the gateway, and the top destinations"
    >
      <g className="map-links">
        {layout.links.map((link) => (
          <path key={link.key} className={linkClass(link.key, link.side)} d={link.d} strokeWidth={link.width} />
        ))}
      </g>
      <g className="map-gateway" data-testid="map-gateway">
        <circle cx={layout.gateway.x} cy={layout.gateway.y} r={GATEWAY_RADIUS} />
        <path
          d={DEVICE_ICON_PATHS.router}
          transform={`translate(${layout.gateway.x - 12} ${layout.gateway.y - 12})`}
          className="map-icon"
        />
        <text x={layout.gateway.x} y={layout.gateway.y - GATEWAY_RADIUS - 6} textAnchor={narrow ? "start" : "middle"}>
          {clip(data.gateway?.name ?? "Gateway", 24)}
        </text>
      </g>
      {layout.rows.map((row) =>
        row.kind === "group" ? (
          // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>
          <g
            key={row.key}
            className={rowClass(row)}
            role="button"
            tabIndex={0}
            aria-expanded={row.expanded}
            data-testid="map-group"
            data-type={row.group.type}
            onClick={() => toggle(row.group.type)}
            onKeyDown={(event) => onGroupKey(event, row.group.type)}
          >
            <rect x={row.x} y={row.y - 11} width={narrow ? 320 : 300} height={22} rx={4} />
            <path
              d={DEVICE_ICON_PATHS[row.group.type] ?? DEVICE_ICON_PATHS.unknown}
              transform={`translate(${row.x + 4} ${row.y - 8}) scale(0.67)`}
              className="map-icon"
            />
            <text x={row.x + 26} y={row.y + 4} className="map-label">
              {row.expanded ? "▾" : "▸"} {row.group.label} ({row.group.devices.length})
            </text>
            <text x={row.x + (narrow ? 316 : 296)} y={row.y + 4} textAnchor="end" className="map-bytes">
              {formatBytes(row.group.bytes)}
            </text>
          </g>
        ) : (
          <a
            key={row.key}
            href={devicePath(row.device.id)}
            className={rowClass(row)}
            data-testid="map-device"
            data-device-id={row.device.id}
            onClick={(event) => open(event, row.device.id)}
            onMouseEnter={() => setSelected(row.device.id)}
            onMouseLeave={() => setSelected(null)}
            onFocus={() => setSelected(row.device.id)}
            onBlur={() => setSelected(null)}
          >
            <rect x={row.x} y={row.y - 11} width={narrow ? 320 : 300} height={22} className="map-hit" />
            <circle cx={row.x + 16} cy={row.y} r={4} className="map-status" />
            <text x={row.x + 26} y={row.y + 4} className="map-name">
              {clip(row.device.name, nameMax)}
            </text>
            <text x={row.x + (narrow ? 316 : 296)} y={row.y + 4} textAnchor="end" className="map-bytes">
              {row.device.bytes > 0 ? formatBytes(row.device.bytes) : ""}
            </text>
            <title>{`${row.device.name} — ${row.device.online ? "online" : "offline"}`}</title>
          </a>
        ),
      )}
      {layout.destinations.map((placed) => (
        <g
          key={placed.key}
          className={talkedTo?.has(placed.destination.name) ? "map-destination hot" : "map-destination"}
          data-testid="map-destination"
          data-destination={placed.destination.name}
        >
          <text x={placed.x} y={placed.y + 4} className="map-name">
            {clip(placed.destination.name, narrow ? 30 : 26)}
          </text>
          <text x={placed.x + (narrow ? 286 : 300)} y={placed.y + 4} textAnchor="end" className="map-bytes">
            {formatBytes(placed.destination.bytes)}
          </text>
          <title>{`${placed.destination.name}: ${formatBytes(placed.destination.bytes)} from ${placed.destination.devices} devices`}</title>
        </g>
      ))}
    </svg>
  );
}
