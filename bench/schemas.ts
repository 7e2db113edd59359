import { collection, column, defineSchema, table } from '@zustand-sqlite/core'
import type { CollectionOptions, StoreSchema } from '@zustand-sqlite/core'

/** How the messages of each conversation are loaded: with the conversations, or on demand (F2). */
type MessagesLoad = Pick<CollectionOptions, 'load' | 'countField'>

function chatMapping(messages: MessagesLoad): StoreSchema {
  return defineSchema({
    state: {
      conversations: collection({
        table: 'conversations',
        key: 'id',
        columns: { id: column.text(), title: column.text(), created: column.integer(), updated: column.integer() },
        children: {
          messages: collection({
            table: 'messages',
            key: 'id',
            parentColumns: ['conversation_id'],
            ...messages,
            columns: {
              id: column.text(),
              role: column.text(),
              text: column.text(),
              created: column.integer(),
              updated: column.integer(),
            },
          }),
        },
      }),
    },
  })
}

/** LIB's mapping of the chat store: one row per conversation, one row per message. */
export const chatSchema = chatMapping({})

/**
 * `chatSchema` with the messages loaded on demand (F2): `hydrate: 'onDemand'` reads the conversations alone,
 * each with its stored `messageCount` (the `message_count` column of `conversations`).
 */
export const chatSchemaOnDemand = chatMapping({ load: 'onDemand', countField: 'messageCount' })

/** LIB's metrics store: an append-only table, not mirrored in state. */
export const metricsSchema = defineSchema({
  tables: {
    metrics: table({
      columns: {
        id: column.integer({ optional: true }),
        metric_type: column.text(),
        metric_name: column.text(),
        value: column.real(),
        metadata: column.json({ optional: true }),
        timestamp: column.integer(),
      },
      primaryKey: ['id'],
      indexes: [{ columns: ['metric_type', 'metric_name'] }, { columns: ['timestamp'] }],
    }),
  },
})

// RAW writes by hand into the same layout LIB creates (same columns, keys, STRICT tables and
// indexes), so the two differ only in who writes the SQL.

export const RAW_CHAT_DDL = `
CREATE TABLE conversations (
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  sort_key TEXT NOT NULL,
  extra TEXT,
  PRIMARY KEY (id)
) STRICT;
CREATE TABLE messages (
  conversation_id TEXT NOT NULL,
  id TEXT NOT NULL,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  sort_key TEXT NOT NULL,
  extra TEXT,
  PRIMARY KEY (conversation_id, id),
  FOREIGN KEY (conversation_id) REFERENCES conversations ON DELETE CASCADE
) STRICT;
`

export const RAW_METRICS_DDL = `
CREATE TABLE metrics (
  id INTEGER,
  metric_type TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  value REAL NOT NULL,
  metadata TEXT,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (id)
) STRICT;
CREATE INDEX metrics_metric_type_metric_name_idx ON metrics (metric_type, metric_name);
CREATE INDEX metrics_timestamp_idx ON metrics (timestamp);
`
