import { column, defineSchema, singleton } from '@zustand-sqlite/core'

/**
 * The device store's tables: one row in `device`, with the id in a typed column, unknown keys in
 * `extra`, and creation and update times.
 *
 * ```sql
 * CREATE TABLE device (id INTEGER NOT NULL, local_device_id TEXT NOT NULL, extra TEXT,
 *   created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (id)) STRICT
 * ```
 */
export const deviceSchema = defineSchema({
  version: 1,
  root: singleton({
    table: 'device',
    columns: { localDeviceId: column.text() },
    rest: 'extra',
    timestamps: true,
  }),
})
