import type { TableSpec } from '../contract/schemaSpec'
import type { CollectionNode, FieldMapping, StoreSchema } from './defineSchema'

/** @internal The table and column of a field of the schema's table `tableName`, wherever that table is. */
export function findField(
  schema: StoreSchema,
  tableName: string,
  field: string,
): { table: TableSpec; mapping: FieldMapping } | undefined {
  const visit = (nodes: readonly CollectionNode[]): { table: TableSpec; mapping: FieldMapping } | undefined => {
    for (const node of nodes) {
      if (node.table.name === tableName) {
        const mapping = node.fields.find((f) => f.field === field)
        return mapping === undefined ? undefined : { table: node.table, mapping }
      }
      const found = visit(node.children)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const node of [...schema.nodes, ...(schema.root === undefined ? [] : [schema.root])]) {
    if (node.kind === 'singleton' && node.table.name === tableName) {
      const mapping = node.fields.find((f) => f.field === field)
      return mapping === undefined ? undefined : { table: node.table, mapping }
    }
  }
  const append = schema.appendTables.get(tableName)
  if (append !== undefined) {
    const mapping = append.fields.find((f) => f.field === field)
    return mapping === undefined ? undefined : { table: append.table, mapping }
  }
  return visit(schema.nodes.filter((n): n is CollectionNode => n.kind === 'collection'))
}
