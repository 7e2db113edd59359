import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { returningSet } from '@zustand-sqlite/core'

describe('returningSet', () => {
  it('sets what the change makes and returns what it computed', () => {
    const store = createStore<{ items: string[] }>()(() => ({ items: [] }))
    const setReturning = returningSet(store.setState)
    expect(setReturning((state) => [{ items: [...state.items, 'a'] }, state.items.length] as const)).toBe(0)
    expect(store.getState().items).toEqual(['a'])
  })

  it('answers what the first run computed when the change is run again (a set replayed after hydration)', () => {
    let replayed: unknown
    const replaying = (change: (state: { n: number }) => { n: number } | Partial<{ n: number }>): void => {
      change({ n: 1 })
      replayed = change({ n: 2 })
    }
    expect(returningSet(replaying)((state) => [{ n: state.n + 1 }, state.n] as const)).toBe(1)
    expect(replayed).toEqual({ n: 3 })
  })
})
