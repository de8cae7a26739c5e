// Types the console's GraphQL operations (console/src/operations.graphql) from schema/*.graphql with
// GraphQL Code Generator's client preset, into console/src/gql/. `--check` fails when they are stale
// or an operation no longer matches the schema (CI), so a schema change that breaks the console fails the build.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { codegen } from '@graphql-codegen/core'
import { preset } from '@graphql-codegen/client-preset'
import { buildSchema, parse, printSchema, validate } from 'graphql'
import { loadTypeDefs } from '../src/graphql/build-schema.js'

const root = join(import.meta.dirname, '..')
const schema = buildSchema(loadTypeDefs().join('\n'))
const location = join(root, 'console', 'src', 'operations.graphql')
const rawSDL = readFileSync(location, 'utf8')
const document = parse(rawSDL)
const invalid = validate(schema, document)
if (invalid.length > 0) {
  for (const e of invalid) console.error(`console/src/operations.graphql: ${e.message}`)
  process.exit(1)
}

const baseOutputDir = join(root, 'console', 'src', 'gql') + '/'
const sections = await preset.buildGeneratesSection({
  baseOutputDir,
  schema: parse(printSchema(schema)),
  schemaAst: schema,
  documents: [{ location: 'operations.graphql', document, rawSDL }],
  config: { useTypeImports: true, enumsAsTypes: true, documentMode: 'string', scalars: { DateTime: 'string', Duration: 'string', JSON: 'Record<string, unknown>' } },
  presetConfig: { fragmentMasking: false },
  plugins: [],
  pluginMap: {},
})

let stale = false
for (const section of sections) {
  const text = await codegen(section)
  const file = section.filename
  if (process.argv.includes('--check')) {
    let current = ''
    try {
      current = readFileSync(file, 'utf8')
    } catch {
      // missing: stale
    }
    if (current !== text) stale = true
  } else {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
}
if (stale) {
  console.error('console/src/gql/ is stale: run `npm run codegen` and commit the result')
  process.exit(1)
}
