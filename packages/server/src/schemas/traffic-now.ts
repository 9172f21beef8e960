import { Type } from "typebox";
import { EpochMs, Limit, Nullable, Offset } from "./common.js";

export const FlowListQuery = Type.Object(
  {
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "One device's flows" })),
    destination: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: "A registrable domain or an address" }),
    ),
    from: Type.Optional(EpochMs("Five-minute buckets starting at or after this time (ms)")),
    to: Type.Optional(EpochMs("Buckets starting before this time (ms)")),
    limit: Type.Optional(Limit),
    offset: Type.Optional(Offset),
  },
  { additionalProperties: false },
);

export const FlowAggregate = Type.Object(
  {
    deviceId: Type.String(),
    destination: Type.String({ description: "Registrable domain when a lookup named it, else the address" }),
    protocol: Type.String(),
    port: Type.Integer({ description: "The service port: the remote one for out, the device's own for in" }),
    direction: Type.Union([Type.Literal("out"), Type.Literal("in")]),
    bytesUp: Type.Number(),
    bytesDown: Type.Number(),
    packets: Type.Number(),
    flows: Type.Number(),
    firstBucket: EpochMs("Start of the first five-minute bucket with this traffic"),
    lastBucket: EpochMs("Start of the last one"),
  },
  { $id: "FlowAggregate" },
);

export const FlowList = Type.Object({
  total: Type.Integer({ description: "Aggregates matching the filters" }),
  flows: Type.Array(Type.Ref("FlowAggregate")),
});

export const TrafficNowQuery = Type.Object(
  {
    minutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1440, default: 60, description: "The window: the last this many minutes" }),
    ),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false },
);

const Usual = {
  usualBytes: Type.Number({
    description: "What the baselines expect in this window: the median bytes of its hours, by hour of week or of day",
  }),
  ratio: Nullable(Type.Number({ description: "bytes ÷ usualBytes; null when nothing is usual yet" })),
};

export const TrafficNowResponse = Type.Object({
  asOf: Nullable(EpochMs("End of the window: the end of the newest stored minute (packet time); null without data")),
  windowMinutes: Type.Integer(),
  network: Type.Object({
    bytesUp: Type.Number(),
    bytesDown: Type.Number(),
    bytes: Type.Number(),
    packets: Type.Number(),
    flows: Type.Number(),
    activeDevices: Type.Integer({ description: "Devices with traffic in the window" }),
    ...Usual,
  }),
  minutes: Type.Array(Type.Object({ minute: Type.Number(), bytes: Type.Number() }), {
    description: "Network bytes per minute of the window, oldest first (silent minutes left out)",
  }),
  devices: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      bytesUp: Type.Number(),
      bytesDown: Type.Number(),
      bytes: Type.Number(),
      ...Usual,
      basis: Nullable(Type.Union([Type.Literal("hour_of_week"), Type.Literal("hour_of_day")])),
    }),
    { description: "Devices, most above their usual first (bytes − usualBytes)" },
  ),
});
