import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { Backend } from '@zustand-sqlite/core'
import { createWorkspaceStore, guessMimeType, importLegacyWorkspace } from '@zustand-sqlite/store-workspace'
import type { WorkspaceStoreApi } from '@zustand-sqlite/store-workspace'
import { tempDatabase } from '../../../test-utils/backends'
import { PROTOTYPE_NAMES } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: ids like any other for the store. */

/** The own entries of a record, sorted; fails when the record's prototype is not `Object.prototype`. */
function entriesOf<V>(record: Readonly<Record<string, V>>): [string, V][] {
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const sorted = <V>(map: ReadonlyMap<string, V>): [string, V][] =>
  [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** One database file, opened by as many stores as a test needs (as restarts of an app would). */
function database(): { open: () => Promise<WorkspaceStoreApi>; close: () => Promise<void> } {
  const db = tempDatabase()
  const backends: Backend[] = []
  return {
    open: async () => {
      const backend = createBetterSqlite3Backend({ filename: db.file })
      backends.push(backend)
      const store = createWorkspaceStore({ backend })
      await hydrated(store)
      return store
    },
    close: async () => {
      for (const backend of backends.splice(0)) await backend.close()
      db.remove()
    },
  }
}

describe('the workspace store with ids that are Object.prototype names', () => {
  let opened: ReturnType<typeof database> | undefined
  afterEach(async () => {
    await opened?.close()
    opened = undefined
  })

  it('assigns and merges files to workspaces named __proto__, constructor, toString (the issue)', async () => {
    opened = database()
    const store = await opened.open()
    const fileId = store.getState().createFile({ name: 'a.md', content: 'A' })
    for (const workspaceId of ['__proto__', 'constructor', 'toString'])
      store.getState().liveFileAssign(workspaceId, fileId)
    const other = store.getState().createFile({ name: 'b.md', content: 'B' })
    store.getState().mergeAssignments(JSON.parse(`{"__proto__":["${other}"],"constructor":["${other}"]}`))

    const expected = [
      ['__proto__', [fileId, other]],
      ['constructor', [fileId, other]],
      ['toString', [fileId]],
    ]
    expect(entriesOf(store.getState().liveFilesByWorkspace)).toEqual(expected)
    await store.persist.flush()
    expect(entriesOf((await opened.open()).getState().liveFilesByWorkspace)).toEqual(expected)
  })

  it('imports legacy assignments of such workspaces, and of such file ids', () => {
    const json =
      '{"state":{"liveFilesByWorkspace":{"__proto__":["toString"],"valueOf":["__proto__","f1"]}},"version":0}'
    const imported = importLegacyWorkspace(json, { fileIds: ['toString', '__proto__'] })
    expect(entriesOf(imported?.liveFilesByWorkspace ?? {})).toEqual([
      ['__proto__', ['toString']],
      ['valueOf', ['__proto__']],
    ])
    expect(imported?.dangling).toEqual([{ workspaceId: 'valueOf', fileId: 'f1' }])
  })

  it('guesses no MIME type from an extension that is an Object.prototype name', async () => {
    expect(guessMimeType('notes.constructor', false)).toBe('text/plain')
    expect(guessMimeType('blob.__proto__', true)).toBe('application/octet-stream')
    opened = database()
    const store = await opened.open()
    const id = store.getState().createFile({ name: 'notes.constructor', content: 'x' })
    await store.persist.flush()
    const reloaded = (await opened.open()).getState().files.find((f) => f.id === id)
    expect(reloaded?.mimeType).toBe('text/plain')
  })

  /** One operation on assignments or settings; `a` and `b` pick ids of the mix below. */
  interface Operation {
    kind: number
    a: string
    b: string
    value: number
  }
  const id = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('a', 'b', 'c-1'))
  const operation: fc.Arbitrary<Operation> = fc.record({
    kind: fc.nat({ max: 10 }),
    a: id,
    b: id,
    value: fc.integer({ min: -5, max: 5 }),
  })

  it('keeps every assignment and setting keyed by such ids, through a write and a reload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 30 }), async (operations) => {
        opened = database()
        try {
          const store = await opened.open()
          const files = new Set<string>()
          const assignments = new Map<string, string[]>()
          const settings = new Map<string, number>()
          const assign = (workspaceId: string, ids: readonly string[]): void => {
            const list = assignments.get(workspaceId) ?? []
            const added = ids.filter((f, i) => files.has(f) && !list.includes(f) && ids.indexOf(f) === i)
            if (added.length > 0) assignments.set(workspaceId, [...list, ...added])
          }
          const unassign = (fileId: string, only?: string): void => {
            for (const [workspaceId, list] of [...assignments]) {
              if (only !== undefined && workspaceId !== only) continue
              const kept = list.filter((f) => f !== fileId)
              if (kept.length === 0) assignments.delete(workspaceId)
              else assignments.set(workspaceId, kept)
            }
          }
          for (const { kind, a, b, value } of operations) {
            const s = store.getState()
            switch (kind) {
              case 0:
                try {
                  s.createFile({ id: a, name: `${a}.txt`, content: a })
                  files.add(a)
                } catch (error) {
                  if (!isZustandSqliteError(error, 'ALREADY_EXISTS')) throw error
                  expect(files.has(a)).toBe(true)
                }
                break
              case 1:
              case 2:
                if (files.has(b)) {
                  s.liveFileAssign(a, b)
                  assign(a, [b])
                } else expect(() => s.liveFileAssign(a, b)).toThrow(/NOT_FOUND/)
                break
              case 3:
                s.liveFileUnassign(a, b)
                unassign(b, a)
                break
              case 4:
                s.remove(a)
                assignments.delete(a)
                break
              case 5:
                s.copyAssignments(a, b)
                if (a !== b) assign(b, assignments.get(a) ?? [])
                break
              case 6: {
                // As a parsed import holds it: `__proto__` an own key.
                const merged = JSON.parse(JSON.stringify({ [a]: [b, a], [b]: [a] })) as Record<string, string[]>
                s.mergeAssignments(merged)
                for (const [workspaceId, ids] of Object.entries(merged)) assign(workspaceId, ids)
                break
              }
              case 7:
                if (files.has(a)) {
                  s.deleteFile(a)
                  files.delete(a)
                  unassign(a)
                } else s.liveFileUnassignFromAll(a)
                break
              case 8:
                s.setSetting(a, value)
                settings.set(a, value)
                break
              case 9:
                s.resetSetting(a)
                settings.delete(a)
                break
              default:
                s.importAssignmentsFromMessages(a, [{ fragments: [{ ft: 'attachment', liveFileId: b }] }])
                assign(a, [b])
            }
            expect(entriesOf(store.getState().liveFilesByWorkspace)).toEqual(sorted(assignments))
            expect(entriesOf(store.getState().settings)).toEqual(sorted(settings))
          }
          for (const [key, value] of settings) expect(store.getState().getSetting(key)).toBe(value)
          for (const name of PROTOTYPE_NAMES)
            if (!settings.has(name)) expect(store.getState().getSetting(name)).toBeUndefined()
          await store.persist.flush()

          const again = (await opened.open()).getState()
          expect(entriesOf(again.liveFilesByWorkspace)).toEqual(sorted(assignments))
          expect(entriesOf(again.settings)).toEqual(sorted(settings))
          expect(again.files.map((f) => f.id).sort()).toEqual([...files].sort())
        } finally {
          await opened.close()
          opened = undefined
        }
      }),
      { numRuns: 60 },
    )
  })
})
