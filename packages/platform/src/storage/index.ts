export { backfillIncidents } from "./incident-filing.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
export { SqliteDatabase, type SqliteDatabaseOptions } from "./sqlite-database.js";
export { type DeviceLabel, SqliteDeviceLabelRepository } from "./sqlite-device-labels.js";
export { SqliteIncidentRepository } from "./sqlite-incidents.js";
export {
  createSqliteRepositories,
  SqliteAlertRepository,
  SqliteBaselineRepository,
  SqliteDeviceRepository,
  SqliteEventRepository,
  SqliteProfileRepository,
  type SqliteRepositoryOptions,
} from "./sqlite-repositories.js";
export { SqliteSessionRepository, type StoredSession } from "./sqlite-sessions.js";
export { SqliteStorage } from "./sqlite-storage.js";
export { SqliteTrafficRepository } from "./sqlite-traffic-repository.js";
export { SqliteWriteTarget } from "./sqlite-write-target.js";
