import type { ColumnSpec, ColumnStamp, SchemaSpec, TableSpec } from '../contract/schemaSpec'
import { ZustandSqliteError } from '../contract/errors'
import { assertIdentifier, quote } from '../schema/identifiers'

function columnDdl(column: ColumnSpec): string {
  let ddl = `${quote(column.name)} ${column.type}`
  if (column.notNull) ddl += ' NOT NULL'
  if (column.boolean) ddl += ` CHECK (${quote(column.name)} IN (0, 1))`
  return ddl
}

export function tableDdl(table: TableSpec): string[] {
  // Lazy columns (file content) go last: SQLite reads a row's columns in order, so a large value before
  // the others would be read through for every row a load scans.
  const parts = [...table.columns.filter((c) => !c.lazy), ...table.columns.filter((c) => c.lazy)].map(columnDdl)
  if (table.primaryKey.length > 0) parts.push(`PRIMARY KEY (${table.primaryKey.map(quote).join(', ')})`)
  if (table.parent !== undefined) {
    // No column list: the reference is to the parent's primary key.
    parts.push(
      `FOREIGN KEY (${table.parent.columns.map(quote).join(', ')}) REFERENCES ${quote(table.parent.table)} ON DELETE CASCADE`,
    )
  }
  for (const c of table.columns) {
    if (c.references === undefined) continue
    parts.push(
      // Checked at commit: one ChangeSet is one transaction, so its rows may come in any order (a
      // folder and its subfolder written in one set).
      `FOREIGN KEY (${quote(c.name)}) REFERENCES ${quote(c.references.table)} (${c.references.columns.map(quote).join(', ')}) ON DELETE ${c.references.onDelete.toUpperCase()} DEFERRABLE INITIALLY DEFERRED`,
    )
  }
  const options = table.withoutRowid ? 'STRICT, WITHOUT ROWID' : 'STRICT'
  const statements = [`CREATE TABLE IF NOT EXISTS ${quote(table.name)} (\n  ${parts.join(',\n  ')}\n) ${options}`]
  for (const index of table.indexes) {
    statements.push(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quote(index.name)} ON ${quote(table.name)} (${index.columns.map(quote).join(', ')})`,
    )
  }
  return statements
}

/** Checks a schema spec received as data (it may come from a client): every name must be safe. */
export function assertSpec(schema: SchemaSpec): void {
  if (!Number.isInteger(schema.version) || schema.version < 1) {
    throw new ZustandSqliteError('INVALID_SCHEMA', `schema version must be an integer >= 1`)
  }
  const types = new Set(['TEXT', 'INTEGER', 'REAL', 'BLOB'])
  for (const t of schema.tables) {
    assertIdentifier(t.name, 'table name')
    for (const c of t.columns) {
      assertIdentifier(c.name, `column of ${t.name}`)
      if (!types.has(c.type))
        throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}.${c.name}: unknown type ${String(c.type)}`)
      if (c.references !== undefined) {
        assertIdentifier(c.references.table, 'referenced table')
        c.references.columns.forEach((r) => assertIdentifier(r, 'referenced column'))
        if (!['cascade', 'set null', 'restrict', 'no action'].includes(c.references.onDelete)) {
          throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}.${c.name}: unknown ON DELETE action`)
        }
      }
    }
    const names = new Set(t.columns.map((c) => c.name))
    for (const c of t.columns) if (c.stamp !== undefined) assertStamp(t, c, c.stamp)
    for (const k of t.primaryKey)
      if (!names.has(k)) throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}: key column ${k} is not a column`)
    for (const index of t.indexes) {
      assertIdentifier(index.name, 'index name')
      for (const c of index.columns)
        if (!names.has(c))
          throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}: index column ${c} is not a column`)
    }
    if (t.parent !== undefined) {
      assertIdentifier(t.parent.table, 'parent table')
      t.parent.columns.forEach((c) => assertIdentifier(c, 'parent column'))
    }
  }
}

function assertStamp(table: TableSpec, column: ColumnSpec, stamp: ColumnStamp): void {
  const bad = (problem: string): never => {
    throw new ZustandSqliteError('INVALID_SCHEMA', `${table.name}.${column.name}: ${problem}`)
  }
  if (column.type !== 'INTEGER') bad('a stamp column must be INTEGER')
  if (table.primaryKey.includes(column.name)) bad('a stamp column cannot be part of the key')
  if (typeof stamp === 'object' && stamp !== null) {
    const target = table.columns.find((c) => c.name === stamp.since)
    if (target === undefined || !target.boolean || target.stamp !== undefined)
      bad(`\`since\` names ${String(stamp.since)}, which is not a boolean column of the table`)
    if (column.notNull) bad('a `since` column must allow NULL')
  } else if (stamp !== 'created' && stamp !== 'updated' && stamp !== 'stateVersion') {
    bad(`unknown stamp ${String(stamp)}`)
  }
}
