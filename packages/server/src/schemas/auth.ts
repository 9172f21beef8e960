import { Type } from "typebox";

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const SessionResponse = Type.Object({
  username: Type.String(),
  csrfToken: Type.String({ description: "Send in the X-CSRF-Token header of every POST, PATCH, PUT and DELETE" }),
});
