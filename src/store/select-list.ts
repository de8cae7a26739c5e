import { getTableColumns, type Table } from 'drizzle-orm'

/**
 * `column AS "property"` for every column of a Drizzle table, in its declared order (or for the
 * given properties only): raw SQL then returns rows keyed as the table's `$inferSelect`, so their
 * type follows the schema.
 */
export function selectList<T extends Table>(table: T, properties?: readonly (keyof T['$inferSelect'] & string)[]): string {
  const columns: Record<string, { name: string }> = getTableColumns(table)
  return (properties ?? Object.keys(columns)).map((property) => `${columns[property]?.name ?? property} AS "${property}"`).join(', ')
}
