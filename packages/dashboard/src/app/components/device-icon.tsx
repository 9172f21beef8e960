/**
 * One line-drawn icon per device type (24×24 SVG paths, drawn here so that no image file or
 * font is needed and the CSP's img-src stays 'self').
 */
export const DEVICE_ICON_PATHS: Record<string, string> = {
  phone: "M8 2h8a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM11 19h2",
  tablet: "M5 2h14a1 1 0 0 1 1 1v18a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM11 19h2",
  computer: "M3 4h18v12H3zM8 20h8M12 16v4",
  tv: "M2 5h20v13H2zM7 21h10M9 2l3 3 3-3",
  speaker: "M6 2h12v20H6zM12 14m-3 0a3 3 0 1 0 6 0a3 3 0 1 0-6 0M12 6v1",
  camera: "M3 7h13v10H3zM16 10l5-3v10l-5-3",
  doorbell_lock: "M6 10h12v11H6zM9 10V7a3 3 0 0 1 6 0v3M12 14v3",
  plug_switch_bulb: "M9 18h6M10 21h4M12 2a6 6 0 0 0-4 10.5V15h8v-2.5A6 6 0 0 0 12 2z",
  sensor_hub:
    "M12 12m-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0M7 7a7 7 0 0 0 0 10M17 7a7 7 0 0 1 0 10M4 4a11 11 0 0 0 0 16M20 4a11 11 0 0 1 0 16",
  printer: "M6 9V2h12v7M6 18H3v-9h18v9h-3M6 14h12v8H6z",
  game_console:
    "M6 8h12a4 4 0 0 1 4 4v2a4 4 0 0 1-7 2H9a4 4 0 0 1-7-2v-2a4 4 0 0 1 4-4zM7 11v4M5 13h4M16 12h.01M18 14h.01",
  nas: "M4 3h16v6H4zM4 9h16v6H4zM4 15h16v6H4zM7 6h.01M7 12h.01M7 18h.01",
  router: "M3 14h18v6H3zM7 17h.01M11 17h.01M8 14l-3-9M16 14l3-9",
  wearable_scale: "M4 4h16v16H4zM8 9a4 4 0 0 1 8 0zM12 9l1-2",
  appliance: "M5 2h14v20H5zM5 8h14M8 5h.01M12 15m-3 0a3 3 0 1 0 6 0a3 3 0 1 0-6 0",
  unknown: "M12 12m-9 0a9 9 0 1 0 18 0a9 9 0 1 0-18 0M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.7M12 17h.01",
};

export function DeviceIcon({ type }: { type: string }) {
  const path = DEVICE_ICON_PATHS[type] ?? DEVICE_ICON_PATHS.unknown;
  return (
    <svg className="device-icon" viewBox="0 0 24 24" width="24" height="24" role="img" aria-label={type}>
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
