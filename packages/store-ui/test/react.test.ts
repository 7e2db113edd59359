// @vitest-environment happy-dom
import { createElement, act } from 'react'
import { createRoot } from 'react-dom/client'
import { afterEach, describe, expect, it } from 'vitest'
import { useStore } from 'zustand'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createUIPreferencesStore, updateUIPreferences } from '@zustand-sqlite/store-ui'
import type { UIPreferencesStoreApi } from '@zustand-sqlite/store-ui'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

function CenterModeLabel({ store }: { store: UIPreferencesStoreApi }) {
  const centerMode = useStore(store, (s) => s.centerMode)
  const setCenterMode = useStore(store, (s) => s.setCenterMode)
  return createElement('button', { onClick: () => setCenterMode('wide') }, `center: ${centerMode}`)
}

describe('the UI preferences store in React', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup()
  })

  it('renders the stored setting on the first render, and persists what a component changes', async () => {
    const backend = createBetterSqlite3Backend({ filename: ':memory:' })
    await updateUIPreferences(backend, { centerMode: 'narrow' })
    const store = createUIPreferencesStore({ backend })
    const container = document.createElement('div')
    const root = createRoot(container)
    cleanups.push(() => {
      act(() => root.unmount())
      backend.close()
    })

    act(() => root.render(createElement(CenterModeLabel, { store })))
    expect(container.textContent).toBe('center: narrow')

    const button = container.querySelector('button')
    act(() => button?.dispatchEvent(new MouseEvent('click', { bubbles: true })))
    expect(container.textContent).toBe('center: wide')
    await store.persist.flush()
    expect(await backend.query('SELECT center_mode FROM ui_preferences')).toEqual([{ center_mode: 'wide' }])
  })
})
