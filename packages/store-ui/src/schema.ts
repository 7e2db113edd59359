import { column, defineSchema, singleton } from '@zustand-sqlite/core'

/**
 * The UI preferences table, as the roadmap gives it: one row, typed columns for the settings an app
 * filters or reports on, `data` holding every setting as JSON (unknown and legacy keys included), the
 * state version the row was written with, and creation and update times.
 *
 * ```sql
 * CREATE TABLE ui_preferences (id INTEGER NOT NULL, preferred_language TEXT NOT NULL,
 *   center_mode TEXT NOT NULL, theme_mode TEXT NOT NULL, font_size INTEGER NOT NULL,
 *   compact_mode INTEGER NOT NULL CHECK (compact_mode IN (0, 1)), complexity_mode TEXT NOT NULL,
 *   content_scaling TEXT NOT NULL, data TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
 *   version INTEGER NOT NULL, PRIMARY KEY (id)) STRICT
 * ```
 */
export const uiPreferencesSchema = defineSchema({
  version: 1,
  root: singleton({
    table: 'ui_preferences',
    columns: {
      preferredLanguage: column.text(),
      centerMode: column.text(),
      themeMode: column.text(),
      fontSize: column.integer(),
      compactMode: column.boolean(),
      complexityMode: column.text(),
      contentScaling: column.text(),
    },
    rest: 'data',
    restMode: 'all',
    timestamps: true,
    versionColumn: 'version',
  }),
})
