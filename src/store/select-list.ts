import { getTableColumns, type Table } from 'drizzle-orm'

/**
 * `column AS "property"` for every column of a Drizzle table, in its declared order: raw SQL then
 * returns rows keyed as the table's `$inferSelect`, so their type follows the schema.
 */
export function selectList(table: Table): string {
  return Object.entries(getTableColumns(table))
    .map(([property, column]) => `${column.name} AS "${property}"`)
    .join(', ')
}
