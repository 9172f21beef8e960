import { Type } from "typebox";
import { API, type ApiApp } from "../http/api-app.js";
import { errors } from "../schemas/common.js";

export function registerOpenApiRoute(app: ApiApp): void {
  app.get(
    `${API}/openapi.json`,
    {
      schema: {
        tags: ["meta"],
        summary: "This API's OpenAPI 3 description, generated from the schemas that validate its requests",
        response: { 200: Type.Unknown(), ...errors() },
      },
    },
    async () => app.swagger(),
  );
}
