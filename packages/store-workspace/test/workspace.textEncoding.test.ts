import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createWorkspaceStore, listWorkspaceHistory, readWorkspaceFile } from '@zustand-sqlite/store-workspace'
import { databaseOn, engines, failure } from '../../../test-utils/backends'

// Strings SQLite's UTF-8 TEXT cannot hold as they are: a lone surrogate (half of an emoji cut by `slice`) and
// NUL. Beside them, an id that an engine would write in place of the lone surrogate (U+FFFD).
const CUT = 'w\uD800'
const REPLACED = 'w\uFFFD'
const NUL = 'w\u0000'
const CONTENT = 'text \uD83D with \u0000 nul and \uFDD0'

describe.each(engines)('workspace query functions with text SQLite cannot hold as it is, on $name', (engine) => {
  const { open } = databaseOn(engine)

  async function stored() {
    const backend = await open()
    const store = createWorkspaceStore({ backend })
    await hydrated(store)
    const s = store.getState
    const folder = s().createFolder('half \uD83D')
    s().createFile({ id: CUT, name: 'cut \uDE00.txt', content: CONTENT, folderId: folder })
    s().createFile({ id: REPLACED, name: 'replacement \uFFFD.txt', content: 'other' })
    s().createFile({ id: NUL, name: 'nul.txt', content: 'nul id' })
    s().rename(CUT, 'renamed \uDBFF.txt')
    await store.persist.flush()
    return { backend, store }
  }

  it('reads a file by such an id, with its content as it was written', async () => {
    const { backend, store } = await stored()
    expect(await readWorkspaceFile(backend, CUT)).toBe(CONTENT)
    expect(await readWorkspaceFile(backend, REPLACED)).toBe('other')
    expect(await readWorkspaceFile(backend, NUL)).toBe('nul id')
    expect(await store.getState().readFile(CUT)).toBe(CONTENT)
    expect((await failure(() => readWorkspaceFile(backend, 'w\uDBFF')))?.code).toBe('NOT_FOUND')
  })

  it('lists the history of such an id, with ids and paths as they were', async () => {
    const { backend, store } = await stored()
    const entries = await listWorkspaceHistory(backend, { targetId: CUT })
    expect(
      entries.map(({ action, targetKind, targetId, path, details }) => ({
        action,
        targetKind,
        targetId,
        path,
        details,
      })),
    ).toEqual([
      {
        action: 'rename',
        targetKind: 'file',
        targetId: CUT,
        path: '/half \uD83D/renamed \uDBFF.txt',
        details: { from: '/half \uD83D/cut \uDE00.txt' },
      },
      {
        action: 'create-file',
        targetKind: 'file',
        targetId: CUT,
        path: '/half \uD83D/cut \uDE00.txt',
        details: { sizeBytes: expect.any(Number) },
      },
    ])
    expect((await listWorkspaceHistory(backend, { targetId: REPLACED })).map((e) => e.path)).toEqual([
      '/replacement \uFFFD.txt',
    ])
    expect((await store.getState().listHistory({ targetId: NUL })).map((e) => e.targetId)).toEqual([NUL])
    expect((await listWorkspaceHistory(backend)).map((e) => e.targetId)).toEqual([
      CUT,
      NUL,
      REPLACED,
      CUT,
      expect.any(String),
    ])
  })
})
