/** An ISO 8601 time from a request body, in ms; a RangeError naming the field when it is not one. */
export function parseIsoTime(text: string, field: string): number {
  // Date.parse accepts more than ISO 8601 ("March 7"): require the date part's shape.
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw Object.assign(new RangeError(`body.${field} must be an ISO 8601 time, got "${text.slice(0, 64)}"`), {
      statusCode: 400,
      field,
    });
  }
  return time;
}
