import { ALERT_TYPES } from "@heimdal/core";
import { Type } from "typebox";
import { Nullable } from "./common.js";

const Text = (description: string) => Type.String({ minLength: 1, maxLength: 512, description });
const IsoTime = (description: string) => Type.String({ minLength: 1, maxLength: 64, description });

export const ExclusionEntry = Type.Object(
  {
    id: Text("Unique id"),
    comment: Text("Why this is safe"),
    type: Type.Optional(Type.Enum([...ALERT_TYPES])),
    deviceId: Type.Optional(Text("Device id")),
    destination: Type.Optional(Text("Registrable domain or address (evidence.destination)")),
    port: Type.Optional(Text('"tcp/443" or "udp/53"')),
    expires: Type.Optional(IsoTime("ISO 8601 time after which it stops applying")),
  },
  { $id: "ExclusionEntry", additionalProperties: false },
);

export const ExclusionList = Type.Object({ exclusions: Type.Array(Type.Ref("ExclusionEntry")) });

export const MuteBody = Type.Object(
  {
    deviceId: Text("The device"),
    destination: Text("The destination it may reach without alerts"),
    expires: Type.Optional(IsoTime("ISO 8601 time the mute ends; absent: until removed")),
    comment: Type.Optional(Text("Why")),
  },
  { additionalProperties: false },
);

const SeverityName = Type.String({ maxLength: 16, description: "info, low, medium, high or critical" });
const ClockTime = Type.String({ maxLength: 8, description: 'Local time "HH:MM"' });

export const NotificationSettings = Type.Object({
  severities: Type.Array(SeverityName, { description: "Alerts of these severities notify" }),
  quietHours: Nullable(
    Type.Object(
      { start: ClockTime, end: ClockTime },
      { description: "No notifications in this window (may cross midnight)" },
    ),
  ),
  criticalDuringQuietHours: Type.Boolean({ description: "Critical alerts notify during quiet hours too" }),
});

export const CloudStatus = Type.Object({
  enabled: Type.Boolean({ description: "The Asgard connector is switched on (default off)" }),
  connected: Type.Boolean({ description: "Whether a connector runs: false in this version, nothing is sent" }),
  shares: Type.Array(Type.String(), { description: "The anonymized metadata it shares when enabled" }),
  neverShared: Type.Array(Type.String(), { description: "What never leaves the sensor" }),
});

export const InterceptionStatus = Type.Object({
  running: Type.Boolean({ description: "ARP interception runs next to this server" }),
  detail: Type.String(),
  blocking: Type.Boolean({ description: "Blocking is available through /blocking" }),
  blockingUnavailableReason: Nullable(Type.String({ description: "Why not, when it is not" })),
  edition: Nullable(Type.String({ description: "hardware, desktop-free, desktop-pro or desktop-enterprise" })),
  editions: Type.String({ description: "What each edition may do" }),
});

export const ConfigResponse = Type.Object({
  sensitivity: Type.Object({
    settings: Type.Array(Type.String(), { description: '"0.7", "port_scan=0.8", "device:ID=0.2"; later ones win' }),
    effective: Type.Unknown({ description: "The settings parsed: global, per detector, per device" }),
  }),
  exclusions: Type.Integer({ description: "Exclusions and mutes stored (see /exclusions)" }),
  server: Type.Object({
    port: Type.Integer(),
    host: Type.String(),
    tls: Type.Boolean(),
    secureCookies: Type.Boolean(),
    localhostNoLogin: Type.Boolean(),
    blocking: Type.Boolean(),
  }),
  interception: InterceptionStatus,
  notifications: NotificationSettings,
  cloud: CloudStatus,
});

export const ConfigPatch = Type.Object(
  {
    sensitivity: Type.Optional(
      Type.Array(Type.String({ maxLength: 300 }), {
        maxItems: 500,
        description: 'Replaces the stored sensitivity settings: "0.7", "port_scan=0.8", "device:ID=0.2"',
      }),
    ),
    notifications: Type.Optional(
      Type.Object(
        {
          severities: Type.Optional(Type.Array(SeverityName, { maxItems: 5 })),
          quietHours: Type.Optional(
            Nullable(Type.Object({ start: ClockTime, end: ClockTime }, { additionalProperties: false })),
          ),
          criticalDuringQuietHours: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false, description: "Changes the fields given; the others stay" },
      ),
    ),
    cloud: Type.Optional(
      Type.Object(
        { enabled: Type.Boolean({ description: "Switch the Asgard connector on or off" }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const BlockBody = Type.Object(
  {
    target: Type.Union([
      Type.Object(
        { kind: Type.Literal("device"), deviceId: Text("The device to cut off") },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          kind: Type.Literal("destination"),
          destination: Text("Domain or address"),
          deviceId: Type.Optional(Text("Only for this device")),
        },
        { additionalProperties: false },
      ),
    ]),
    expires: Type.Optional(IsoTime("ISO 8601 time the block lifts; absent: until lifted")),
    reason: Type.Optional(Text("Why, for the log")),
  },
  { additionalProperties: false },
);

export const Block = Type.Object(
  {
    id: Type.String(),
    target: Type.Unknown(),
    expiresAt: Nullable(Type.Number()),
    decidedBy: Type.String(),
    reason: Type.String(),
    createdAt: Type.Number(),
  },
  { $id: "Block" },
);

export const BlockList = Type.Object({ blocks: Type.Array(Type.Ref("Block")) });
