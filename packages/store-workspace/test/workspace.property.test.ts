import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createWorkspaceStore } from '@zustand-sqlite/store-workspace'
import type { FileContent, WorkspaceState, WorkspaceStoreApi } from '@zustand-sqlite/store-workspace'
import { engines, tempDatabase } from '../../../test-utils/backends'

/** One random operation, as data: indexes are taken modulo the length of what they point into. */
interface Operation {
  kind: number
  a: number
  b: number
  name: string
}

/** Few names, so that operations collide on names and refusals happen. */
const operation: fc.Arbitrary<Operation> = fc.record({
  kind: fc.nat({ max: 12 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  name: fc.constantFrom('a', 'b', 'c', 'd', 'notes.md', 'x.bin', 'y.txt', 'z', '', 'bad/name'),
})

/** The codes an operation may refuse with; anything else fails the property. */
const REFUSALS = new Set(['NOT_FOUND', 'ALREADY_EXISTS', 'INVALID_MOVE', 'INVALID_VALUE'])

/** What each file's content should be, by id. */
type Model = Map<string, FileContent>

let counter = 0
const nextContent = (binary: boolean): FileContent => {
  counter++
  return binary ? new Uint8Array([counter % 256, (counter >> 8) % 256, 7]) : `content ${counter} é`
}

function apply(store: WorkspaceStoreApi, model: Model, x: Operation): void {
  const s = store.getState()
  // The root now and then, a missing folder rarely, else one of the folders.
  const folder = (n: number): string | null =>
    n % 5 === 0 || s.folders.length === 0
      ? n % 11 === 0
        ? 'ghost'
        : null
      : (s.folders[n % s.folders.length]?.id as string)
  const file = (n: number): string => s.files[n % Math.max(1, s.files.length)]?.id ?? 'ghost'
  const entry = (n: number): string => (n % 2 === 0 ? file(n >> 1) : (folder((n >> 1) | 1) ?? 'ghost'))
  switch (x.kind) {
    case 0:
    case 11:
    case 12:
      s.createFolder(x.name, folder(x.a))
      return
    case 1:
    case 2: {
      const content = nextContent(x.b % 3 === 0)
      model.set(s.createFile({ name: x.name, content, folderId: folder(x.a) }), content)
      return
    }
    case 3: {
      const id = file(x.a)
      const content = nextContent(x.b % 2 === 0)
      s.writeFile(id, content)
      model.set(id, content)
      return
    }
    case 4:
      return s.rename(entry(x.a), x.name)
    case 5:
    case 6:
      return s.move(entry(x.a), folder(x.b))
    case 7: {
      const id = entry(x.a)
      const before = new Set(s.files.map((f) => f.id))
      const sourcePath = s.files.find((f) => f.id === id)?.path ?? s.folders.find((f) => f.id === id)?.path
      const copyId = s.copy(id, folder(x.b), x.b % 2 === 0 ? {} : { name: x.name })
      const after = store.getState()
      const copyPath =
        after.files.find((f) => f.id === copyId)?.path ?? after.folders.find((f) => f.id === copyId)?.path
      // Each new file holds the content of the file at the same place in the source.
      for (const f of after.files) {
        if (before.has(f.id)) continue
        const original = after.files.find((o) => o.path === `${sourcePath}${f.path.slice((copyPath as string).length)}`)
        model.set(f.id, model.get(original?.id as string) as FileContent)
      }
      return
    }
    case 8:
      return s.deleteFile(file(x.a))
    case 9:
      // Rarer than the rest: a delete of a folder takes much with it.
      return x.b % 3 === 0 ? s.deleteFolder(folder(x.a | 1) ?? 'ghost') : s.deleteFile(file(x.b))
    default:
      return s.liveFileAssign(`conv-${x.b % 3}`, file(x.a))
  }
}

/** The invariants of the tree: paths follow parents and names, names are unique per folder, no dangling id. */
function checkTree(state: WorkspaceState): void {
  const folders = new Map(state.folders.map((f) => [f.id, f]))
  const files = new Set(state.files.map((f) => f.id))
  const names = new Set<string>()
  for (const e of [
    ...state.folders.map((f) => ({ ...f, parent: f.parentId })),
    ...state.files.map((f) => ({ ...f, parent: f.folderId })),
  ]) {
    const parentPath = e.parent === null ? '' : folders.get(e.parent)?.path
    expect(parentPath, `parent of ${e.path}`).toBeDefined()
    expect(e.path).toBe(`${parentPath}/${e.name}`)
    const key = `${e.parent}\u0000${e.name}`
    expect(names.has(key), `two entries named ${e.path}`).toBe(false)
    names.add(key)
  }
  for (const ids of Object.values(state.liveFilesByWorkspace)) for (const id of ids) expect(files.has(id)).toBe(true)
}

const dataOf = (state: WorkspaceState): WorkspaceState => ({
  folders: state.folders,
  files: state.files,
  settings: state.settings,
  liveFilesByWorkspace: state.liveFilesByWorkspace,
})
const byId = <T extends { id: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : 1))

describe.each(engines)('the workspace store on $name', (engine) => {
  it('keeps the tree consistent, refuses without changing anything, and hydrates what it wrote', async () => {
    let attempted = 0
    let succeeded = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(operation, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        async (batches) => {
          const db = tempDatabase()
          const model: Model = new Map()
          attempted += batches.flat().length
          try {
            const backend = await engine.open(db.file)
            const store = createWorkspaceStore({ backend, onError: () => undefined })
            await hydrated(store)
            for (const batch of batches) {
              for (const x of batch) {
                const before = store.getState()
                try {
                  apply(store, model, x)
                  succeeded++
                } catch (error) {
                  if (!isZustandSqliteError(error) || !REFUSALS.has(error.code)) throw error
                  // A refused operation changed nothing at all.
                  expect(store.getState()).toBe(before)
                }
              }
              checkTree(store.getState())
              await store.persist.flush()
              const paths = await backend.query(
                'SELECT path FROM workspace_folders UNION ALL SELECT path FROM workspace_files ORDER BY path',
              )
              const { folders, files } = store.getState()
              expect(paths.map((r) => r['path'])).toEqual([...folders, ...files].map((e) => e.path).sort())
            }
            const persisted = dataOf(store.getState())
            await backend.close()

            const reopened = await engine.open(db.file)
            try {
              const again = createWorkspaceStore({ backend: reopened })
              await hydrated(again)
              const loaded = dataOf(again.getState())
              // Folders and files have no stored order: compared by id.
              expect({ ...loaded, folders: byId(loaded.folders), files: byId(loaded.files) }).toStrictEqual({
                ...persisted,
                folders: byId(persisted.folders),
                files: byId(persisted.files),
              })
              for (const f of loaded.files) expect(await again.getState().readFile(f.id)).toEqual(model.get(f.id))
              await again.persist.flush()
            } finally {
              await reopened.close()
            }
          } finally {
            db.remove()
          }
        },
      ),
      { numRuns: engine.name === 'sql.js' ? 40 : 100 },
    )
    // The sequences do things: many operations succeed rather than being refused.
    expect(succeeded / attempted).toBeGreaterThan(0.35)
  }, 120_000)
})
