import { ALERT_TYPES, SEVERITIES } from "@heimdal/core";
import { Type } from "typebox";
import { EpochMs, Limit, Nullable, Offset } from "./common.js";

const Severity = Type.Enum([...SEVERITIES]);

const AlertFilters = {
  severity: Type.Optional(
    Type.Array(Severity, { maxItems: SEVERITIES.length, description: "Any of these (repeat the parameter)" }),
  ),
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  from: Type.Optional(EpochMs("At or after this time (ms)")),
  to: Type.Optional(EpochMs("Before this time (ms)")),
  acknowledged: Type.Optional(Type.Boolean()),
};

export const AlertListQuery = Type.Object(
  {
    ...AlertFilters,
    type: Type.Optional(Type.Enum([...ALERT_TYPES])),
    limit: Type.Optional(Limit),
    offset: Type.Optional(Offset),
  },
  { additionalProperties: false },
);

export const StoredAlert = Type.Object(
  {
    alert: Type.Unknown({
      description:
        "The alert as detection raised it: id, type, severity, confidence, deviceId, mac, time, description (one sentence), normal (what is usual), observed, evidence, repeats",
    }),
    acknowledgedAt: Nullable(EpochMs("When a person acknowledged it")),
  },
  { $id: "StoredAlert" },
);

export const AlertList = Type.Object({
  total: Type.Integer({ description: "Alerts matching the filters" }),
  alerts: Type.Array(Type.Ref("StoredAlert")),
});

export const AcknowledgeResponse = Type.Object({ id: Type.String(), acknowledgedAt: EpochMs("When acknowledged") });

export const ExpectedResponse = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  baselineVersion: Type.Integer({ description: "The baseline version that now holds what was taught" }),
  destinations: Type.Array(Type.String()),
  ports: Type.Array(Type.String()),
});

export const IncidentListQuery = Type.Object(
  { ...AlertFilters, limit: Type.Optional(Limit), offset: Type.Optional(Offset) },
  { additionalProperties: false },
);

export const Incident = Type.Object(
  {
    id: Type.String(),
    deviceId: Nullable(Type.String()),
    mac: Nullable(Type.String()),
    start: Type.Number(),
    end: Type.Number(),
    severity: Type.String(),
    title: Type.String({ description: 'A headline from the alert types, e.g. "Port scan, then ARP spoofing"' }),
    acknowledged: Type.Boolean(),
    acknowledgedAt: Nullable(EpochMs("When it counted as acknowledged (itself, or its last open alert)")),
    alertIds: Type.Array(Type.String()),
    timeline: Type.Array(
      Type.Object({ time: Type.Number(), type: Type.String(), severity: Type.String(), description: Type.String() }),
    ),
  },
  { $id: "Incident" },
);

export const IncidentList = Type.Object({
  range: Type.Object({ from: Type.Number(), to: Type.Number() }),
  truncated: Type.Boolean({
    description: "Always false: incidents are stored whole (kept from when they were derived per request)",
  }),
  total: Type.Integer(),
  incidents: Type.Array(Type.Ref("Incident")),
});
