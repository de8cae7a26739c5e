import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { execute, getOperationAST, parse, validate, type FieldNode, type SelectionSetNode, Kind, type DocumentNode } from 'graphql'
import { checkOperation } from '../../src/directives/index.js'
import { buildScopedSchema } from './harness.js'
import { createJitExecutor } from '../../src/graphql/jit-executor.js'
import { propertyOptions } from '../property-options.js'

const RUNS = 1000
let plainRuns = 0

// A tiny, obviously-correct oracle of the rules, checked against the engine on random schemas,
// operations and callers. Everything random is a fast-check arbitrary (no seeds, no PRNG): a
// failing case shrinks to fewer rules, fewer types and a shorter operation before it is reported.

const SCOPES = ['s0', 's1', 's2', 's3']
const OBJECTS = ['O0', 'O1', 'O2']
type Dnf = string[][]

interface World {
  sdl: string
  rules: Map<string, Dnf> // coordinate or type name → one rule (a DNF)
  implementors: string[]
  members: string[]
  implies: Record<string, string[]>
  fields: Record<string, Record<string, string>> // type → field → named return type
}

/** One rule: none, `@authenticated`, `@requiresScope(scopes:)` or `@requiresScope(anyOf:)` (shrinks towards none). */
type RuleSpec = null | { kind: 'authenticated' } | { kind: 'scopes'; scopes: string[] } | { kind: 'anyOf'; anyOf: string[][] }
const alternative = fc.uniqueArray(fc.constantFrom(...SCOPES), { minLength: 1, maxLength: 2 })
const ruleArb: fc.Arbitrary<RuleSpec> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.constant(null), weight: 9 },
  { arbitrary: fc.constant({ kind: 'authenticated' as const }), weight: 2 },
  { arbitrary: alternative.map((scopes) => ({ kind: 'scopes' as const, scopes })), weight: 5 },
  { arbitrary: fc.array(alternative, { minLength: 1, maxLength: 2 }).map((anyOf) => ({ kind: 'anyOf' as const, anyOf })), weight: 4 },
)

/** Every place a rule may stand: the interface, each object type, and their fields; the query root's fields. */
const COORDINATES = ['I', 'I.iv', 'I.io', ...OBJECTS.flatMap((o) => [o, ...['v', 'iv', 'io', 'next', 'u'].map((f) => `${o}.${f}`)]), 'Query.root', 'Query.o', 'Query.u']
const PAIRS = SCOPES.flatMap((a, i) => SCOPES.slice(i + 1).map((b) => [a, b] as const))

const worldArb: fc.Arbitrary<World> = fc
  .record({
    rules: fc.tuple(...COORDINATES.map(() => ruleArb)),
    implementors: fc.subarray(OBJECTS, { minLength: 1 }),
    members: fc.subarray(OBJECTS, { minLength: 1 }),
    implies: fc.subarray(PAIRS),
  })
  .map((spec) => makeWorld(new Map(COORDINATES.map((c, i) => [c, spec.rules[i] ?? null])), spec.implementors, spec.members, spec.implies))

function makeWorld(specs: ReadonlyMap<string, RuleSpec>, implementors: string[], members: string[], pairs: readonly (readonly [string, string])[]): World {
  const rules = new Map<string, Dnf>()
  const directive = (coordinate: string): string => {
    const spec = specs.get(coordinate) ?? null
    if (spec === null) return ''
    if (spec.kind === 'authenticated') return (rules.set(coordinate, [[]]), '@authenticated')
    if (spec.kind === 'scopes') return (rules.set(coordinate, [spec.scopes]), `@requiresScope(scopes: ${JSON.stringify(spec.scopes)})`)
    return (rules.set(coordinate, spec.anyOf), `@requiresScope(anyOf: ${JSON.stringify(spec.anyOf)})`)
  }
  const implies: Record<string, string[]> = {}
  for (const [a, b] of pairs) (implies[a] ??= []).push(b)
  const fields: World['fields'] = { I: { iv: 'String', io: 'I' }, Query: { root: 'I', o: 'O0', u: 'U', pub: 'String' } }
  let sdl = `interface I ${directive('I')} { iv: String ${directive('I.iv')} io: I ${directive('I.io')} }\n`
  sdl += `union U = ${members.join(' | ')}\n`
  OBJECTS.forEach((o, k) => {
    const next = OBJECTS[(k + 1) % 3] as string
    fields[o] = { v: 'String', iv: 'String', io: 'I', next, u: 'U' }
    const impl = implementors.includes(o) ? ' implements I' : ''
    sdl += `type ${o}${impl} ${directive(o)} { v: String ${directive(`${o}.v`)} iv: String ${directive(`${o}.iv`)} io: I ${directive(`${o}.io`)} next: ${next} ${directive(`${o}.next`)} u: U ${directive(`${o}.u`)} }\n`
  })
  const rootRule = (c: string): string => directive(c) || '@public'
  sdl += `type Query { root: I ${rootRule('Query.root')} o: O0 ${rootRule('Query.o')} u: U ${rootRule('Query.u')} pub: String @public }\n`
  return { sdl, rules, implementors, members, implies, fields }
}

/**
 * An operation's shape, independent of the schema: each selection is a field, `__typename`, an
 * inline fragment or a named one, with choices as indexes that `makeOperation` reads modulo what
 * the world offers at that point (so the shape shrinks on its own: fewer selections, index 0).
 */
interface SelectionSpec {
  kind: 'field' | 'typename' | 'inline' | 'named'
  pick: number
  alias: number | null
  condition: { directive: 'skip' | 'include'; variable: 'b0' | 'b1' } | null
  children: SelectionSpec[] | null
}
const { selections: selectionsArb } = fc.letrec<{ selections: SelectionSpec[]; selection: SelectionSpec }>((tie) => ({
  selections: fc.array(tie('selection'), { minLength: 1, maxLength: 3 }),
  selection: fc.record({
    kind: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: fc.constant('field' as const), weight: 11 },
      { arbitrary: fc.constant('typename' as const), weight: 2 },
      { arbitrary: fc.constantFrom('inline' as const, 'named' as const), weight: 7 },
    ),
    pick: fc.nat({ max: 9 }),
    alias: fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.nat({ max: 9 }), weight: 3 }),
    condition: fc.oneof(
      { withCrossShrink: true },
      { arbitrary: fc.constant(null), weight: 4 },
      { arbitrary: fc.record({ directive: fc.constantFrom('skip' as const, 'include' as const), variable: fc.constantFrom('b0' as const, 'b1' as const) }), weight: 1 },
    ),
    children: fc.option(tie('selections'), { nil: null, maxDepth: 3, depthIdentifier: 'selections' }),
  }),
}))

function possible(w: World, type: string): string[] {
  return type === 'I' ? w.implementors : type === 'U' ? w.members : OBJECTS.includes(type) ? [type] : []
}

/** The operation text for `plan`; `conditions: false` leaves out every `@skip`/`@include` (and the `pub` fields that carry them). */
function makeOperation(w: World, plan: SelectionSpec[], options: { conditions: boolean } = { conditions: true }): string {
  const at = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T
  const fragments: string[] = []
  const cond = (s: SelectionSpec): string => (s.condition && options.conditions ? ` @${s.condition.directive}(if: $${s.condition.variable})` : '')
  const sel = (type: string, depth: number, specs: SelectionSpec[]): string => {
    const out: string[] = []
    for (const s of specs) {
      const fieldNames = Object.keys(w.fields[type] ?? {})
      const children = s.children ?? []
      if (s.kind === 'field' && fieldNames.length > 0) {
        const name = at(fieldNames, s.pick)
        const alias = s.alias !== null ? `${at([...fieldNames, '__schema', 'k'], s.alias)}: ` : ''
        const ret = w.fields[type]?.[name] as string
        const sub = ret === 'String' ? '' : depth < 3 && children.length > 0 ? ` { ${sel(ret, depth + 1, children)} }` : ' { __typename }'
        out.push(`${alias}${name}${cond(s)}${sub}`)
      } else if (s.kind === 'field' || s.kind === 'typename') {
        out.push('__typename')
      } else {
        const options = ['I', 'U', ...OBJECTS].filter((t) => possible(w, t).some((p) => possible(w, type).includes(p)))
        const on = at(options, s.pick)
        const body = children.length > 0 ? sel(on, depth + 1, children) : '__typename'
        if (s.kind === 'inline') out.push(`... on ${on}${cond(s)} { ${body} }`)
        else {
          const name = `F${fragments.length}`
          fragments.push('') // reserve the name before recursing
          fragments[Number(name.slice(1))] = `fragment ${name} on ${on} { ${body} }`
          out.push(`...${name}${cond(s)}`)
        }
      }
    }
    return out.join(' ')
  }
  const body = sel('Query', 0, plan)
  if (!options.conditions) return `query { pub ${body} }\n${fragments.join('\n')}`
  return `query($b0: Boolean!, $b1: Boolean!) { pub @include(if: $b0) pub2: pub @skip(if: $b1) ${body} }\n${fragments.join('\n')}`
}

// ---- the oracle ---------------------------------------------------------------------------

function closure(held: string[], implies: Record<string, string[]>): Set<string> {
  const s = new Set(held)
  for (let changed = true; changed;) {
    changed = false
    for (const x of [...s])
      for (const y of implies[x] ?? [])
        if (!s.has(y)) {
          s.add(y)
          changed = true
        }
  }
  return s
}

/** The rules (DNFs, all must hold) of field `f` on concrete type `t`, straight from the rules text. */
function ownRules(w: World, t: string, f: string): Dnf[] {
  const out: (Dnf | undefined)[] = [w.rules.get(`${t}.${f}`), w.rules.get(t), w.rules.get(w.fields[t]?.[f] ?? '')]
  if (t !== 'Query' && w.implementors.includes(t) && f in (w.fields['I'] ?? {})) out.push(w.rules.get(`I.${f}`), w.rules.get('I'))
  return out.filter((x): x is Dnf => x !== undefined)
}

function allowed(dnfs: Dnf[], held: Set<string> | null): boolean {
  return dnfs.every((d) => held !== null && d.some((alt) => alt.every((s) => held.has(s))))
}

interface Oracle {
  deniedNode: Map<FieldNode, boolean>
  deniedPaths: Set<string>
}

function runsUnder(node: { directives?: readonly { name: { value: string }; arguments?: readonly { value: unknown }[] }[] }, vars: Record<string, boolean>): boolean {
  for (const d of node.directives ?? []) {
    const v = d.arguments?.[0]?.value as { name: { value: string } }
    const value = vars[v.name.value] as boolean
    if (d.name.value === 'skip' && value) return false
    if (d.name.value === 'include' && !value) return false
  }
  return true
}

function staticOracle(w: World, doc: DocumentNode, held: Set<string> | null, vars: Record<string, boolean>): Oracle {
  const frags = new Map(doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])))
  const deniedNode = new Map<FieldNode, boolean>()
  const reachedDenied: string[] = []
  const walk = (set: SelectionSetNode, parent: string, poss: string[], path: string[]): void => {
    for (const s of set.selections) {
      if (!runsUnder(s, vars)) continue
      if (s.kind === Kind.FIELD) {
        const f = s.name.value
        if (f === '__typename' || poss.length === 0) continue
        const rules = poss.flatMap((t) => ownRules(w, t, f))
        const ok = allowed(rules, held)
        deniedNode.set(s, !ok)
        const p = [...path, s.alias?.value ?? f]
        if (!ok) reachedDenied.push(p.join('.'))
        else if (s.selectionSet) {
          const ret = w.fields[parent]?.[f] as string
          walk(s.selectionSet, ret, possible(w, ret), p)
        }
      } else {
        const on = s.kind === Kind.INLINE_FRAGMENT ? (s.typeCondition?.name.value ?? parent) : (frags.get(s.name.value)?.typeCondition.name.value as string)
        const body = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : (frags.get(s.name.value)?.selectionSet as SelectionSetNode)
        walk(
          body,
          on,
          poss.filter((t) => possible(w, on).includes(t)),
          path,
        )
      }
    }
  }
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)
  assert.ok(op?.kind === Kind.OPERATION_DEFINITION)
  walk(op.selectionSet, 'Query', ['Query'], [])
  const all = new Set(reachedDenied)
  const deniedPaths = new Set(reachedDenied.filter((p) => !p.split('.').some((_, i, xs) => i < xs.length - 1 && all.has(xs.slice(0, i + 1).join('.')))))
  return { deniedNode, deniedPaths }
}

/** Simulates execution on the deterministic runtime types: expected data and error paths. */
function runtimeOracle(w: World, doc: DocumentNode, o: Oracle, vars: Record<string, boolean>): { data: unknown; errors: Set<string> } {
  const frags = new Map(doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])))
  const errors = new Set<string>()
  const runtimeType = (named: string): string => (named === 'I' ? (w.implementors[0] as string) : named === 'U' ? (w.members[0] as string) : named)
  const collect = (sets: SelectionSetNode[], t: string, into: Map<string, FieldNode[]>): void => {
    for (const set of sets) {
      for (const s of set.selections) {
        if (!runsUnder(s, vars)) continue
        if (s.kind === Kind.FIELD) {
          const key = s.alias?.value ?? s.name.value
          into.set(key, [...(into.get(key) ?? []), s])
        } else {
          const on = s.kind === Kind.INLINE_FRAGMENT ? (s.typeCondition?.name.value ?? t) : (frags.get(s.name.value)?.typeCondition.name.value as string)
          if (possible(w, on).includes(t) || on === t)
            collect([s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : (frags.get(s.name.value)?.selectionSet as SelectionSetNode)], t, into)
        }
      }
    }
  }
  const complete = (sets: SelectionSetNode[], t: string, path: string[]): Record<string, unknown> => {
    const groups = new Map<string, FieldNode[]>()
    collect(sets, t, groups)
    const out: Record<string, unknown> = {}
    for (const [key, nodes] of groups) {
      const f = (nodes[0] as FieldNode).name.value
      if (f === '__typename') {
        out[key] = t
        continue
      }
      const p = [...path, key]
      if (nodes.some((n) => o.deniedNode.get(n) === true)) {
        out[key] = null
        errors.add(p.join('.'))
        continue
      }
      const ret = w.fields[t]?.[f] as string
      out[key] =
        ret === 'String'
          ? `${t}.${f}`
          : complete(
              nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
              runtimeType(ret),
              p,
            )
    }
    return out
  }
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)
  assert.ok(op?.kind === Kind.OPERATION_DEFINITION)
  return { data: complete([op.selectionSet], 'Query', []), errors }
}

function resolversFor(w: World): Record<string, unknown> {
  const obj = (t: string) => ({ __typename: t })
  const fieldResolvers = (t: string) =>
    Object.fromEntries(
      Object.entries(w.fields[t] ?? {}).map(([f, ret]) => [
        f,
        () => (ret === 'String' ? `${t}.${f}` : obj(ret === 'I' ? (w.implementors[0] as string) : ret === 'U' ? (w.members[0] as string) : ret)),
      ]),
    )
  const resolveType = (o: { __typename: string }) => o.__typename
  return {
    I: { __resolveType: resolveType },
    U: { __resolveType: resolveType },
    Query: fieldResolvers('Query'),
    ...Object.fromEntries(OBJECTS.map((o) => [o, fieldResolvers(o)])),
  }
}

it('agrees with a reference oracle on random schemas, operations and callers', async () => {
  let checked = 0
  await fc.assert(
    fc.asyncProperty(worldArb, selectionsArb, fc.option(fc.subarray(SCOPES), { freq: 6 }), fc.boolean(), fc.boolean(), async (w, plan, held, b0, b1) => {
      const schema = buildScopedSchema(w.sdl, resolversFor(w), { implies: w.implies })
      const source = makeOperation(w, plan)
      const doc = parse(source)
      if (validate(schema, doc).length > 0) return // e.g. two aliases naming different fields
      checked++
      const vars = { b0, b1 }
      const context = { scopes: held }
      const closed = held === null ? null : closure(held, w.implies)
      const oracle = staticOracle(w, doc, closed, vars)
      const check = checkOperation({ schema, document: doc, variableValues: vars, contextValue: context })
      const info = `\n${w.sdl}\n${source}\nheld=${JSON.stringify(held)} vars=${JSON.stringify(vars)}`
      assert.deepEqual(new Set(check.denied.map((d) => d.path.join('.'))), oracle.deniedPaths, `static denials${info}`)
      for (const d of check.denied) assert.equal(d.reason, held === null ? 'UNAUTHENTICATED' : 'FORBIDDEN')
      const result = await execute({ schema, document: doc, variableValues: vars, contextValue: context })
      const expected = runtimeOracle(w, doc, oracle, vars)
      assert.deepEqual(JSON.parse(JSON.stringify(result.data)), expected.data, `data${info}`)
      assert.deepEqual(new Set((result.errors ?? []).map((e) => e.path?.join('.'))), expected.errors, `errors${info}`)
      // The executor /graphql runs (src/graphql/jit-executor.ts) agrees, error for error. It leaves @skip/@include to
      // graphql-js, so it also runs the same selections without them, compiled by graphql-jit, against the oracle.
      const executor = createJitExecutor(schema, { compileAfterUses: 0 })
      const jit = await executor.execute({ document: doc, operation: getOperationAST(doc) ?? undefined, operationName: undefined, variables: vars, contextValue: context })
      assert.deepEqual(JSON.parse(JSON.stringify(jit)), JSON.parse(JSON.stringify(result)), `JIT executor${info}`)
      const plain = makeOperation(w, plan, { conditions: false })
      const plainDoc = parse(plain)
      assert.deepEqual(validate(schema, plainDoc), [], `valid without conditions${info}`)
      plainRuns++
      const plainContext = { scopes: held }
      const plainOracle = staticOracle(w, plainDoc, closed, vars)
      const plainCheck = checkOperation({ schema, document: plainDoc, variableValues: vars, contextValue: plainContext })
      const plainInfo = `\n${w.sdl}\n${plain}\nheld=${JSON.stringify(held)}`
      assert.deepEqual(new Set(plainCheck.denied.map((d) => d.path.join('.'))), plainOracle.deniedPaths, `static denials${plainInfo}`)
      const compiled = await executor.execute({
        document: plainDoc,
        operation: getOperationAST(plainDoc) ?? undefined,
        operationName: undefined,
        variables: vars,
        contextValue: plainContext,
      })
      assert.equal(executor.stats.compiled, 1, `graphql-jit ran it${plainInfo}`)
      const plainExpected = runtimeOracle(w, plainDoc, plainOracle, vars)
      assert.deepEqual(JSON.parse(JSON.stringify(compiled.data)), plainExpected.data, `JIT data${plainInfo}`)
      assert.deepEqual(new Set((compiled.errors ?? []).map((e) => e.path?.join('.'))), plainExpected.errors, `JIT errors${plainInfo}`)
      const reference = await execute({ schema, document: plainDoc, variableValues: vars, contextValue: plainContext })
      assert.deepEqual(JSON.parse(JSON.stringify(compiled)), JSON.parse(JSON.stringify(reference)), `JIT ÷ graphql-js${plainInfo}`)
    }),
    propertyOptions(RUNS),
  )
  assert.ok(checked >= RUNS / 4, `only ${checked} valid operations generated`)
  assert.equal(plainRuns, checked, 'every valid operation also ran compiled, without its conditions')
})
