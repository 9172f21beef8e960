import { DetectionConfigError, FeedbackError, SettingsError, StorageUnavailableError } from "@heimdal/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { errorBody } from "./api-app.js";

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "limit" from "/limit", "target.kind" from "/target/kind", "severity[1]" from "/severity/1". */
function fieldName(path: string): string {
  return path
    .split("/")
    .filter((p) => p !== "")
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

/**
 * A validation failure as one sentence that names the field: `querystring.limit must be <= 1000`,
 * `body.password is required`, `querystring.sort is not a known parameter`.
 */
export function describeValidation(context: string, errors: readonly AjvError[]): { message: string; field: string } {
  const e = errors[0];
  if (!e) return { message: `${context} is not valid`, field: "" };
  let field = fieldName(e.instancePath);
  let problem = e.message ?? "is not valid";
  if (e.keyword === "required") {
    field = fieldName(`${e.instancePath}/${String(e.params.missingProperty)}`);
    problem = "is required";
  } else if (e.keyword === "additionalProperties") {
    field = fieldName(`${e.instancePath}/${String(e.params.additionalProperty)}`);
    problem = `is not a known ${context === "querystring" ? "parameter" : "field"}`;
  } else if (e.keyword === "enum" && Array.isArray(e.params.allowedValues)) {
    problem = `must be one of ${e.params.allowedValues.join(", ")}`;
  }
  const where = field === "" ? context : `${context}.${field}`;
  return { message: `${where} ${problem}`, field };
}

/** Errors as JSON with the right status; internal details of unexpected errors stay in the log. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.validation) {
    const { message, field } = describeValidation(error.validationContext ?? "request", error.validation as AjvError[]);
    void reply.code(400).send(errorBody(400, message, field));
    return;
  }
  if (error instanceof DetectionConfigError) {
    // Core's messages name the entry and field ("sensitivity[1] (…)", "exclusions[0].port").
    const field = /(sensitivity\[\d+\]|exclusions\[\d+\](?:\.\w+)?)/.exec(error.message)?.[1];
    void reply.code(400).send(errorBody(400, error.message, field));
    return;
  }
  if (error instanceof SettingsError) {
    void reply.code(400).send(errorBody(400, `body.${error.message}`, error.field));
    return;
  }
  if (error instanceof FeedbackError) {
    const status = error.reason === "not_found" ? 404 : 409;
    void reply.code(status).send(errorBody(status, error.message));
    return;
  }
  if (error instanceof StorageUnavailableError) {
    void reply.code(503).send(errorBody(503, error.message));
    return;
  }
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, "request failed");
  const field = (error as { field?: unknown }).field;
  void reply
    .code(status)
    .send(
      status >= 500
        ? errorBody(status, "Internal error; see the sensor's log")
        : errorBody(status, error.message, typeof field === "string" ? field : undefined),
    );
}
