import { Type } from "typebox";

/** Every error answer: the message names the field when one is at fault. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: "The request field at fault, e.g. 'limit' or 'sensitivity[1]'" })),
  },
  { $id: "ErrorResponse", description: "An error; message is meant for a person" },
);

export const errorRef = Type.Unsafe<{ statusCode: number; error: string; message: string; field?: string }>(
  Type.Ref("ErrorResponse"),
);

/** The error answers every route may give: bad input, not logged in, bad CSRF token, too many requests. */
export function errors<const C extends readonly number[]>(
  ...codes: C
): { [K in 400 | 401 | 403 | C[number]]: typeof errorRef } {
  return Object.fromEntries([400, 401, 403, ...codes].map((code) => [code, errorRef])) as {
    [K in 400 | 401 | 403 | C[number]]: typeof errorRef;
  };
}

/** Ids are ours (device ids, alert ids) but arrive from the URL: bounded text. */
export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

/** Milliseconds since the epoch; up to year 275760, JavaScript's Date range. */
export const EpochMs = (description: string) => Type.Integer({ minimum: 0, maximum: 8.64e15, description });

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: "At most this many items" });
export const Offset = Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: "Skip this many first" });

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
