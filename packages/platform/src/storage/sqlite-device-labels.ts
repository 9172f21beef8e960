import type { SqliteDatabase } from "./sqlite-database.js";

/** What a person calls a device ("Lucas' phone", "kids", "IoT"), apart from what it calls itself. */
export interface DeviceLabel {
  deviceId: string;
  name: string | null;
  label: string | null;
  notes: string | null;
  /** Wall clock, ms since the epoch. */
  updatedAt: number;
}

interface Row {
  device_id: string;
  name: string | null;
  label: string | null;
  notes: string | null;
  updated_at: number;
}

const fromRow = (row: Row): DeviceLabel => ({
  deviceId: row.device_id,
  name: row.name,
  label: row.label,
  notes: row.notes,
  updatedAt: row.updated_at,
});

/**
 * The user's names for devices, in their own table: analyses write device records, never this
 * table, so a re-analysis of the same network keeps every name a person gave.
 */
export class SqliteDeviceLabelRepository {
  constructor(private readonly db: SqliteDatabase) {}

  get(deviceId: string): DeviceLabel | undefined {
    const row = this.db.run(`read the label of device "${deviceId}"`, (sql) =>
      sql("SELECT * FROM device_labels WHERE device_id = ?").get(deviceId),
    ) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  list(): DeviceLabel[] {
    const rows = this.db.run("list device labels", (sql) =>
      sql("SELECT * FROM device_labels ORDER BY device_id").all(),
    ) as Row[];
    return rows.map(fromRow);
  }

  /** Stores the label; one with nothing left (name, label and notes all null) is removed. */
  put(label: DeviceLabel): void {
    this.db.run(`store the label of device "${label.deviceId}"`, (sql) => {
      if (label.name === null && label.label === null && label.notes === null) {
        sql("DELETE FROM device_labels WHERE device_id = ?").run(label.deviceId);
        return;
      }
      sql(
        `INSERT INTO device_labels (device_id, name, label, notes, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, label = excluded.label,
           notes = excluded.notes, updated_at = excluded.updated_at`,
      ).run(label.deviceId, label.name, label.label, label.notes, label.updatedAt);
    });
  }
}
