import { describe, expectTypeOf, it } from 'vitest'
import { useStore } from 'zustand'
import { devtools, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import {
  createWorkspaceState,
  createWorkspaceStore,
  workspaceDefinition,
  workspaceSchema,
} from '@zustand-sqlite/store-workspace'
import type {
  FileContent,
  WorkspaceFile,
  WorkspaceSettings,
  WorkspaceStore,
  WorkspaceStoreApi,
} from '@zustand-sqlite/store-workspace'

// Type tests only: nothing here runs.
declare const backend: Backend

describe('the workspace store', () => {
  it('is typed for useStore, with store.persist and typed settings', () => {
    const workspace = createWorkspaceStore({ backend })
    expectTypeOf(useStore(workspace, (s) => s.files)).toEqualTypeOf<WorkspaceFile[]>()
    expectTypeOf(workspace.getState().readFile('id')).toEqualTypeOf<Promise<FileContent>>()
    expectTypeOf(workspace.getState().getSetting('sortBy')).toEqualTypeOf<WorkspaceSettings['sortBy']>()
    expectTypeOf(workspace.getState().getSetting('maxFileBytes')).toBeNumber()
    expectTypeOf(workspace.getState().getSetting('my.own')).toBeUnknown()
    expectTypeOf(workspace.persist.writeLazy).toBeFunction()
  })

  it('composes with persistSQLite and devtools, and not with plain persist', () => {
    const store = createStore<WorkspaceStore>()(
      devtools(persistSQLite(createWorkspaceState(), { name: 'w', backend, schema: workspaceSchema })),
    )
    expectTypeOf(store.getState().createFolder).toEqualTypeOf<(name: string, parentId?: string | null) => string>()
    // @ts-expect-error the operations write content and history through persistSQLite's store.persist
    createStore<WorkspaceStore>()(persist(createWorkspaceState(), { name: 'w' }))
  })

  it("takes its clock as the definition's own option", () => {
    expectTypeOf(workspaceDefinition.create({ backend, now: () => 0 })).toEqualTypeOf<WorkspaceStoreApi>()
    expectTypeOf(createWorkspaceStore({ backend, now: () => 0, writeDelayMs: 10 })).toEqualTypeOf<WorkspaceStoreApi>()
    // @ts-expect-error now is a function returning ms
    createWorkspaceStore({ backend, now: 0 })
  })

  it('refuses settings of the wrong type and content that is neither text nor bytes', () => {
    const s = createWorkspaceStore({ backend }).getState()
    // @ts-expect-error sortBy is 'name' or 'updated'
    s.setSetting('sortBy', 'size')
    // @ts-expect-error content is a string or a Uint8Array
    s.createFile({ name: 'a', content: 42 })
  })
})
