import { DEVICE_TYPES } from "@heimdal/core";
import { Type } from "typebox";
import { EpochMs, Limit, Nullable, Offset } from "./common.js";

export const DeviceListQuery = Type.Object(
  {
    type: Type.Optional(Type.Enum([...DEVICE_TYPES], { description: "Only devices of this type" })),
    online: Type.Optional(Type.Boolean({ description: "Only devices online (true) or offline (false)" })),
    vendor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Vendor contains this text" })),
    search: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: "The user's name, label or notes, a hostname, vendor, MAC, address or id contains this text",
      }),
    ),
    limit: Type.Optional(Limit),
    offset: Type.Optional(Offset),
  },
  { additionalProperties: false },
);

export const DeviceSummary = Type.Object(
  {
    id: Type.String(),
    mac: Type.String(),
    name: Nullable(Type.String({ description: "The user's name when given, else the newest discovered hostname" })),
    discoveredName: Nullable(
      Type.String({ description: "The newest hostname the device announced (device-sent text)" }),
    ),
    userName: Nullable(Type.String({ description: "The name the user gave it (PATCH /devices/{id})" })),
    label: Nullable(Type.String({ description: 'The user\'s label, e.g. "kids" or "IoT"' })),
    vendor: Nullable(Type.String()),
    type: Type.String(),
    typeConfidence: Type.Number(),
    role: Type.String(),
    randomizedMac: Type.Boolean(),
    addresses: Type.Array(Type.String()),
    online: Type.Boolean(),
    firstSeen: EpochMs("First packet"),
    lastSeen: EpochMs("Last packet"),
    packets: Type.Number(),
    bytes: Type.Number(),
    openAlerts: Type.Integer(),
  },
  { $id: "DeviceSummary" },
);

export const DeviceList = Type.Object({
  total: Type.Integer({ description: "Devices matching the filters" }),
  devices: Type.Array(Type.Ref("DeviceSummary")),
});

/** What a person may write about a device: bounded, no control characters (checked by the route). */
export const DEVICE_LABEL_LIMITS = { name: 64, label: 32, notes: 1000 } as const;

export const DeviceLabels = Type.Object({
  name: Nullable(Type.String()),
  label: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  updatedAt: EpochMs("When the user last changed them"),
});

export const DevicePatch = Type.Object(
  {
    name: Type.Optional(
      Nullable(
        Type.String({
          maxLength: DEVICE_LABEL_LIMITS.name,
          description: 'What to call the device ("Lucas\' phone"); null or empty: the discovered name again',
        }),
      ),
    ),
    label: Type.Optional(
      Nullable(
        Type.String({ maxLength: DEVICE_LABEL_LIMITS.label, description: 'A group: "kids", "IoT"; null clears' }),
      ),
    ),
    notes: Type.Optional(
      Nullable(
        Type.String({ maxLength: DEVICE_LABEL_LIMITS.notes, description: "Free text, lines allowed; null clears" }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const DeviceDetailResponse = Type.Object({
  summary: Type.Ref("DeviceSummary"),
  labels: Nullable(DeviceLabels),
  device: Type.Unknown({
    description:
      "The full device record: addresses and hostnames with when they were seen, type/model/OS with the evidence behind them, fingerprint",
  }),
  profile: Type.Unknown({
    description: "Traffic profile (totals, protocols, top destinations, ports, DNS names) or null",
  }),
  baseline: Type.Unknown({ description: "Baseline version, learning progress and what is normal, or null" }),
  alerts: Type.Object({ open: Type.Integer(), bySeverity: Type.Record(Type.String(), Type.Integer()) }),
});

export const TrafficQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 7, description: "Days of hourly series" })) },
  { additionalProperties: false },
);

const Series = {
  hourly: Type.Array(Type.Object({ time: Type.Number(), bytes: Type.Number() })),
  daily: Type.Array(
    Type.Object({ time: Type.Number(), bytesUp: Type.Number(), bytesDown: Type.Number(), connections: Type.Number() }),
  ),
  usualByHourOfDay: Type.Array(Type.Number()),
};

export const DeviceTrafficResponse = Type.Object({
  deviceId: Type.String(),
  totals: Type.Unknown(),
  protocols: Type.Record(Type.String(), Type.Number()),
  hourOfWeekBytes: Type.Array(Type.Number()),
  topDestinations: Type.Array(Type.Object({ name: Type.String(), bytes: Type.Number(), connections: Type.Number() })),
  ports: Type.Array(Type.Object({ name: Type.String(), connections: Type.Number() })),
  ...Series,
});

export const NetworkTrafficResponse = Type.Object({
  devices: Type.Integer(),
  totals: Type.Object({ bytesUp: Type.Number(), bytesDown: Type.Number(), connections: Type.Number() }),
  protocols: Type.Record(Type.String(), Type.Number()),
  topDestinations: Type.Array(
    Type.Object({ name: Type.String(), bytes: Type.Number(), connections: Type.Number(), devices: Type.Integer() }),
  ),
  topDevices: Type.Array(Type.Object({ deviceId: Type.String(), bytes: Type.Number() })),
  ...Series,
});
