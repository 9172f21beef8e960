import { Type } from "typebox";
import { Nullable } from "./common.js";

export const StatusResponse = Type.Object({
  versions: Type.Object({ heimdal: Type.String(), api: Type.String(), node: Type.String(), schema: Type.Integer() }),
  database: Type.Object({ path: Type.String(), sizeBytes: Nullable(Type.Number()) }),
  counts: Type.Object({
    devices: Type.Integer(),
    devicesOnline: Type.Integer(),
    alerts: Type.Integer(),
    unacknowledgedAlerts: Type.Integer(),
    unacknowledgedBySeverity: Type.Record(Type.String(), Type.Integer()),
    lastEventId: Type.Integer(),
  }),
  components: Type.Array(
    Type.Object({ name: Type.String(), state: Type.String(), detail: Type.Optional(Type.String()) }),
  ),
  capture: Type.Unknown({ description: "Capture counters (packets, drops) when a live capture runs here, else null" }),
  uptimeSeconds: Type.Number(),
});
