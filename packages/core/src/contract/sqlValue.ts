/** A value SQLite can bind and return: what crosses the backend contract in rows and keys. */
export type SqlValue = string | number | bigint | Uint8Array | null

/** The key of a row: one value, or the full primary key (parent key first) of a nested collection's row. */
export type RowKey = SqlValue | readonly SqlValue[]
