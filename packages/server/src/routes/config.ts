import {
  CLOUD_NEVER_SHARED,
  CLOUD_SHARED_DATA,
  CloudSettingsStore,
  type NotificationSettings,
  NotificationSettingsStore,
  parseSensitivity,
} from "@heimdal/core";
import { blockingAllowed } from "../blocking.js";
import { API, type ApiApp, type ApiContext } from "../http/api-app.js";
import { errors } from "../schemas/common.js";
import { ConfigPatch, ConfigResponse } from "../schemas/settings.js";

const EDITIONS =
  "Free (desktop-free): visibility only, it shows devices and alerts and never blocks. " +
  "Pro and Enterprise (desktop-pro, desktop-enterprise) and the hardware sensor: blocking too.";

export function registerConfigRoutes(app: ApiApp, ctx: ApiContext): void {
  const settings = ctx.data.settings;
  const notifications = new NotificationSettingsStore(ctx.data.repositories.kv);
  const cloud = new CloudSettingsStore(ctx.data.repositories.kv);
  const current = () => {
    const sensitivity = settings.sensitivity();
    const gate = blockingAllowed(ctx.blocking, ctx.blockingUnavailableReason);
    return {
      sensitivity: { settings: sensitivity, effective: parseSensitivity(sensitivity) },
      exclusions: settings.exclusionEntries().length,
      server: { ...ctx.settings, blocking: gate.allowed },
      interception: {
        ...ctx.interception,
        blocking: gate.allowed,
        blockingUnavailableReason: gate.allowed ? null : gate.reason,
        edition: ctx.edition,
        editions: EDITIONS,
      },
      notifications: notifications.get(),
      cloud: {
        ...cloud.get(),
        connected: false,
        shares: [...CLOUD_SHARED_DATA],
        neverShared: [...CLOUD_NEVER_SHARED],
      },
    };
  };

  app.get(
    `${API}/config`,
    {
      schema: {
        tags: ["settings"],
        summary:
          "Configuration: sensitivity, interception and blocking, notifications, cloud, and how this server runs",
        response: { 200: ConfigResponse, ...errors() },
      },
    },
    async () => current(),
  );

  app.patch(
    `${API}/config`,
    {
      schema: {
        tags: ["settings"],
        summary:
          "Change the settings a user may change: sensitivity (validated like --sensitivity; `heimdal run` applies it within seconds, a later analysis reads it), notifications (merged field by field) and cloud. Absent fields stay.",
        body: ConfigPatch,
        response: { 200: ConfigResponse, ...errors() },
      },
    },
    async (request) => {
      const body = request.body;
      // Validate everything before storing anything: a request is applied whole or not at all.
      if (body.sensitivity !== undefined) parseSensitivity(body.sensitivity);
      const nextNotifications =
        body.notifications === undefined
          ? undefined
          : notifications.validate(body.notifications as Partial<NotificationSettings>);
      if (body.sensitivity !== undefined) settings.setSensitivity(body.sensitivity);
      if (nextNotifications !== undefined) notifications.update(nextNotifications);
      if (body.cloud !== undefined) cloud.set(body.cloud);
      if (body.sensitivity !== undefined || body.notifications !== undefined || body.cloud !== undefined) {
        ctx.data.wrote();
      }
      return current();
    },
  );
}
