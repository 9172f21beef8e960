/** A user setting that cannot be stored; `field` names it as the request does ("notifications.quietHours.start"). */
export class SettingsError extends Error {
  override name = "SettingsError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}
