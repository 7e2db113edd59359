import { describe, expectTypeOf, it } from 'vitest'
import { create } from 'zustand'
import { devtools, persist, subscribeWithSelector } from 'zustand/middleware'
import { immer } from 'zustand/middleware/immer'
import { createStore } from 'zustand/vanilla'
import type { ExtractState, Mutate, StateCreator, StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '../src'
import type { Backend, PersistSQLiteOptions } from '../src'

// Type tests only: nothing here runs, so the backend is only declared.
declare const backend: Backend

type Counter = { count: number; label: string; inc: () => void }
type Persisted = { count: number }

const counter: StateCreator<Counter, [['zustand-sqlite/persist', unknown]]> = (set, get) => ({
  count: 0,
  label: '',
  inc: () => set({ count: get().count + 1 }),
})

describe('the store made by persistSQLite', () => {
  it('keeps the state type and the StoreApi methods with create', () => {
    const useCounter = create<Counter>()(
      persistSQLite(
        (set, get) => ({
          count: 0,
          label: '',
          inc: () => set({ count: get().count + 1 }, false),
        }),
        { name: 'counter', backend },
      ),
    )
    expectTypeOf<ExtractState<typeof useCounter>>().toEqualTypeOf<Counter>()
    expectTypeOf(useCounter).toBeCallableWith((s: Counter) => s.count)
    expectTypeOf(useCounter.getState).toEqualTypeOf<() => Counter>()
    expectTypeOf(useCounter.getInitialState).toEqualTypeOf<() => Counter>()
    // setState is typed as Zustand's persist types it (its return is `unknown`): code written against one
    // compiles against the other.
    const usePersisted = create<Counter>()(
      persist((set) => ({ count: 0, label: '', inc: () => set({}) }), { name: 'p' }),
    )
    expectTypeOf(useCounter.setState).toEqualTypeOf(usePersisted.setState)
    expectTypeOf(useCounter.subscribe).toEqualTypeOf<StoreApi<Counter>['subscribe']>()
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 1 })
    expectTypeOf(useCounter.setState).toBeCallableWith((s: Counter) => ({ count: s.count + 1 }))
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 1, label: 'x', inc: () => {} }, true)
    expectTypeOf(useCounter.setState).returns.toEqualTypeOf<unknown>()
  })

  it('keeps the state type and the StoreApi methods with createStore', () => {
    const store = createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend }))
    expectTypeOf<ExtractState<typeof store>>().toEqualTypeOf<Counter>()
    expectTypeOf(store.getState).toEqualTypeOf<() => Counter>()
    expectTypeOf(store.setState).toEqualTypeOf(
      createStore<Counter>()(persist(() => store.getState(), { name: 'p' })).setState,
    )
    expectTypeOf(store).toExtend<StoreApi<Counter>>()

    const inferred = createStore(persistSQLite(() => ({ count: 0 }), { name: 'inferred', backend }))
    expectTypeOf(inferred.getState()).toEqualTypeOf<{ count: number }>()
    expectTypeOf(inferred).toExtend<StoreApi<object>>()
  })

  it('has store.persist: the API of persist plus flush, append and getBackend', () => {
    const store = createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend }))
    expectTypeOf(store.persist.flush).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(store.persist.rehydrate).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(store.persist.hasHydrated).toEqualTypeOf<() => boolean>()
    expectTypeOf(store.persist.clearStorage).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(store.persist.getBackend).toEqualTypeOf<() => Backend | undefined>()
    expectTypeOf(store.persist.append).toEqualTypeOf<(table: string, rows: object | readonly object[]) => void>()
    expectTypeOf(store.persist.append).toBeCallableWith('events', { at: 1, kind: 'inc' })
    // Rows typed by an interface (no index signature) are accepted as they are.
    interface MetricEvent {
      at: number
      kind: string
    }
    const event: MetricEvent = { at: 1, kind: 'inc' }
    expectTypeOf(store.persist.append).toBeCallableWith('events', event)
    expectTypeOf(store.persist.append).toBeCallableWith('events', [event])
    expectTypeOf(store.persist.append).toBeCallableWith('events', [{ at: 1 }, { at: 2 }])
    expectTypeOf(store.persist.setOptions).toEqualTypeOf<
      (options: Partial<PersistSQLiteOptions<Counter, Counter>>) => void
    >()
    expectTypeOf(store.persist.getOptions).toEqualTypeOf<() => Partial<PersistSQLiteOptions<Counter, Counter>>>()
    expectTypeOf(store.persist.setOptions).toBeCallableWith({ name: 'renamed', writeDelayMs: 10, backend })
  })

  it('gives onHydrate and onFinishHydration listeners the state and returns an unsubscribe', () => {
    const store = createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend }))
    expectTypeOf(store.persist.onHydrate).toEqualTypeOf<(fn: (state: Counter) => void) => () => void>()
    expectTypeOf(store.persist.onFinishHydration).toEqualTypeOf<(fn: (state: Counter) => void) => () => void>()
    const unsubscribe = store.persist.onFinishHydration((state) => {
      expectTypeOf(state).toEqualTypeOf<Counter>()
    })
    expectTypeOf(unsubscribe).toEqualTypeOf<() => void>()
  })

  it('gives the initializer a plain set and get and a store with store.persist', () => {
    createStore<Counter>()(
      persistSQLite(
        (set, get, store) => {
          expectTypeOf(set).toBeCallableWith({ count: 1 })
          expectTypeOf(set).toBeCallableWith((s: Counter) => s, true)
          expectTypeOf(get).toEqualTypeOf<() => Counter>()
          expectTypeOf(store.persist.flush).toEqualTypeOf<() => Promise<void>>()
          expectTypeOf(store.persist.getBackend).toEqualTypeOf<() => Backend | undefined>()
          return { count: 0, label: '', inc: () => {} }
        },
        { name: 'counter', backend },
      ),
    )
  })

  it('accepts a Backend or a function returning one or a promise of one', () => {
    createStore<Counter>()(persistSQLite(counter, { name: 'a', backend: () => backend }))
    createStore<Counter>()(persistSQLite(counter, { name: 'b', backend: () => Promise.resolve(backend) }))
    createStore<Counter>()(persistSQLite(counter, { name: 'c', backend: async () => backend }))
  })
})

describe('partialize, migrate, merge and onRehydrateStorage', () => {
  it('narrows the persisted type with partialize, as seen by getOptions and setOptions', () => {
    const store = createStore<Counter>()(
      persistSQLite(counter, { name: 'counter', backend, partialize: (s) => ({ count: s.count }) }),
    )
    expectTypeOf(store.persist.getOptions).returns.toEqualTypeOf<Partial<PersistSQLiteOptions<Counter, Persisted>>>()
    expectTypeOf(store.persist.getOptions().partialize).toEqualTypeOf<((state: Counter) => Persisted) | undefined>()
    store.persist.setOptions({ partialize: (s) => ({ count: s.count * 2 }) })
    store.persist.setOptions({
      // @ts-expect-error the persisted type is inferred from partialize as { count: number }
      partialize: () => 'not-a-count',
    })
  })

  it('types migrate as returning the persisted type or a PromiseLike of it', () => {
    const store = createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        version: 2,
        partialize: (s) => ({ count: s.count }),
        migrate: (persistedState, version) => {
          expectTypeOf(persistedState).toEqualTypeOf<unknown>()
          expectTypeOf(version).toEqualTypeOf<number>()
          return { count: 0 }
        },
      }),
    )
    type Migrate = NonNullable<ReturnType<typeof store.persist.getOptions>['migrate']>
    expectTypeOf<ReturnType<Migrate>>().toEqualTypeOf<Persisted | PromiseLike<Persisted>>()
    store.persist.setOptions({ migrate: async () => ({ count: 1 }) })
    store.persist.setOptions({ migrate: () => ({ count: 1 }) })
  })

  it('like persist, takes the persisted type from migrate when there is no partialize', () => {
    type Legacy = { legacy: string }
    const initializer = (): Counter => ({ count: 0, label: '', inc: () => {} })
    const migrate = (): Legacy => ({ legacy: '' })
    const withPersist = createStore<Counter>()(persist(initializer, { name: 'counter', migrate }))
    const withPersistSQLite = createStore<Counter>()(persistSQLite(initializer, { name: 'counter', backend, migrate }))
    expectTypeOf(withPersist.persist.getOptions().migrate)
      .exclude<undefined>()
      .returns.toEqualTypeOf<Legacy | PromiseLike<Legacy>>()
    expectTypeOf(withPersistSQLite.persist.getOptions().migrate)
      .exclude<undefined>()
      .returns.toEqualTypeOf<Legacy | PromiseLike<Legacy>>()
  })

  it('gives merge the stored state as unknown and the current state', () => {
    createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        partialize: (s) => ({ count: s.count }),
        merge: (persistedState, currentState) => {
          expectTypeOf(persistedState).toEqualTypeOf<unknown>()
          expectTypeOf(currentState).toEqualTypeOf<Counter>()
          return { ...currentState, ...(persistedState as Persisted) }
        },
      }),
    )
  })

  it('gives onRehydrateStorage the state, and its callback the state or the error', () => {
    createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        partialize: (s) => ({ count: s.count }),
        onRehydrateStorage: (state) => {
          expectTypeOf(state).toEqualTypeOf<Counter>()
          return (rehydrated, error) => {
            expectTypeOf(rehydrated).toEqualTypeOf<Counter | undefined>()
            expectTypeOf(error).toEqualTypeOf<unknown>()
          }
        },
      }),
    )
    createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend, onRehydrateStorage: () => {} }))
  })
})

describe('composition with the middlewares of zustand', () => {
  it('devtools(persistSQLite(...)): setState takes an action name and store.persist is ours', () => {
    const useCounter = create<Counter>()(
      devtools(
        persistSQLite(
          (set, get) => ({
            count: 0,
            label: '',
            inc: () => set({ count: get().count + 1 }, false, 'inc'),
          }),
          { name: 'counter', backend },
        ),
        { name: 'devtools' },
      ),
    )
    expectTypeOf(useCounter.getState()).toEqualTypeOf<Counter>()
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 0 }, false, 'reset')
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 0 }, false, { type: 'reset', by: 0 })
    expectTypeOf(useCounter.devtools.cleanup).toEqualTypeOf<() => void>()
    expectTypeOf(useCounter.persist.flush).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(useCounter.persist.hasHydrated).toEqualTypeOf<() => boolean>()
  })

  it('devtools(persistSQLite(immer(...))): set mutates a draft, setState takes a draft updater and an action', () => {
    const useCounter = create<Counter>()(
      devtools(
        persistSQLite(
          immer((set, get) => ({
            count: 0,
            label: '',
            inc: () =>
              set((state) => {
                state.count = get().count + 1
              }),
          })),
          { name: 'counter', backend, partialize: (s) => ({ count: s.count }) },
        ),
        { name: 'devtools' },
      ),
    )
    expectTypeOf(useCounter.getState()).toEqualTypeOf<Counter>()
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 0 }, false, 'reset')
    expectTypeOf(useCounter.setState).toBeCallableWith(
      (draft: Counter) => {
        draft.count = 0
      },
      false,
      'reset',
    )
    expectTypeOf(useCounter.persist.getOptions).returns.toEqualTypeOf<
      Partial<PersistSQLiteOptions<Counter, Persisted>>
    >()
    expectTypeOf(useCounter.devtools.cleanup).toEqualTypeOf<() => void>()
  })

  it('persistSQLite(immer(...)): set mutates a draft inside and store.setState takes a draft updater', () => {
    const store = createStore<Counter>()(
      persistSQLite(
        immer((set) => ({
          count: 0,
          label: '',
          inc: () =>
            set((state) => {
              state.count += 1
            }),
        })),
        { name: 'counter', backend },
      ),
    )
    expectTypeOf(store.setState).toBeCallableWith((draft: Counter) => {
      draft.label = 'x'
    })
    expectTypeOf(store.persist.flush).toEqualTypeOf<() => Promise<void>>()
  })

  it('subscribeWithSelector(persistSQLite(...)): subscribe takes a selector and store.persist is ours', () => {
    const useFoo = create(subscribeWithSelector(persistSQLite(() => ({ foo: true }), { name: 'foo', backend })))
    expectTypeOf(useFoo.getState()).toEqualTypeOf<{ foo: boolean }>()
    const unsubscribe = useFoo.subscribe(
      (state) => state.foo,
      (foo, previous) => {
        expectTypeOf(foo).toEqualTypeOf<boolean>()
        expectTypeOf(previous).toEqualTypeOf<boolean>()
      },
      { fireImmediately: true, equalityFn: (a, b) => a === b },
    )
    expectTypeOf(unsubscribe).toEqualTypeOf<() => void>()
    expectTypeOf(useFoo.persist.flush).toEqualTypeOf<() => Promise<void>>()
  })

  it('persistSQLite(devtools(...)): the initializer and the store keep the action name of devtools', () => {
    const store = createStore<Counter>()(
      persistSQLite(
        devtools(
          (set) => ({
            count: 0,
            label: '',
            inc: () => set((s) => ({ count: s.count + 1 }), false, 'inc'),
          }),
          { name: 'devtools' },
        ),
        { name: 'counter', backend },
      ),
    )
    expectTypeOf(store.setState).toBeCallableWith({ count: 0 }, false, 'reset')
    expectTypeOf(store.devtools.cleanup).toEqualTypeOf<() => void>()
    expectTypeOf(store.persist.append).toBeCallableWith('events', { at: 1 })
  })

  it('persistSQLite(subscribeWithSelector(...)): subscribe takes a selector inside and outside', () => {
    const store = createStore<Counter>()(
      persistSQLite(
        subscribeWithSelector((set, _get, api) => {
          api.subscribe(
            (s) => s.count,
            (count) => expectTypeOf(count).toEqualTypeOf<number>(),
          )
          return { count: 0, label: '', inc: () => set((s) => ({ count: s.count + 1 })) }
        }),
        { name: 'counter', backend },
      ),
    )
    store.subscribe(
      (s) => s.label,
      (label) => expectTypeOf(label).toEqualTypeOf<string>(),
    )
    expectTypeOf(store.persist.rehydrate).toEqualTypeOf<() => Promise<void>>()
  })

  it('devtools(subscribeWithSelector(persistSQLite(immer(...)))): every middleware adds its part', () => {
    const useCounter = create<Counter>()(
      devtools(
        subscribeWithSelector(
          persistSQLite(
            immer((set, get) => ({
              count: 0,
              label: '',
              inc: () =>
                set((state) => {
                  state.count = get().count + 1
                }),
            })),
            { name: 'counter', backend },
          ),
        ),
        { name: 'devtools' },
      ),
    )
    expectTypeOf(useCounter.getState()).toEqualTypeOf<Counter>()
    expectTypeOf(useCounter.setState).toBeCallableWith({ count: 0 }, false, 'reset')
    useCounter.subscribe(
      (s) => s.count,
      (count) => expectTypeOf(count).toEqualTypeOf<number>(),
    )
    expectTypeOf(useCounter.persist.flush).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(useCounter.devtools.cleanup).toEqualTypeOf<() => void>()
  })
})

describe('drop-in compatibility with code written for persist', () => {
  type Bears = { bears: number; addBear: () => void }
  type Fishes = { fishes: number; addFish: () => void }

  it('accepts an initializer typed for persist and gives the same state type as persist', () => {
    const forPersist: StateCreator<Counter, [['zustand/persist', unknown]], []> = (set, get, store) => ({
      count: 0,
      label: '',
      inc: () => {
        set({ count: get().count + 1 })
        void store.persist.rehydrate()
      },
    })
    const withPersist = create<Counter>()(persist(forPersist, { name: 'counter' }))
    const withPersistSQLite = create<Counter>()(persistSQLite(forPersist, { name: 'counter', backend }))
    expectTypeOf(withPersistSQLite.getState()).toEqualTypeOf(withPersist.getState())
    expectTypeOf(withPersistSQLite.persist).toExtend<typeof withPersist.persist>()
    expectTypeOf(withPersistSQLite.persist.flush).toEqualTypeOf<() => Promise<void>>()
  })

  it('accepts slices typed for persist, spread into one initializer', () => {
    const createBears: StateCreator<Bears & Fishes, [['zustand/persist', unknown]], [], Bears> = (set) => ({
      bears: 0,
      addBear: () => set((s) => ({ bears: s.bears + 1 })),
    })
    const createFishes: StateCreator<Bears & Fishes, [['zustand/persist', unknown]], [], Fishes> = (set) => ({
      fishes: 0,
      addFish: () => set((s) => ({ fishes: s.fishes + 1 })),
    })
    const useBoth = create<Bears & Fishes>()(
      persistSQLite((...a) => ({ ...createBears(...a), ...createFishes(...a) }), { name: 'both', backend }),
    )
    expectTypeOf(useBoth.getState()).toEqualTypeOf<Bears & Fishes>()
  })

  it('accepts plain slices typed StateCreator<S> with no mutators', () => {
    const createBears: StateCreator<Bears & Fishes, [], [], Bears> = (set) => ({
      bears: 0,
      addBear: () => set((s) => ({ bears: s.bears + 1 })),
    })
    const createFishes: StateCreator<Bears & Fishes, [], [], Fishes> = (set) => ({
      fishes: 0,
      addFish: () => set((s) => ({ fishes: s.fishes + 1 })),
    })
    const useBoth = create<Bears & Fishes>()(
      persistSQLite((...a) => ({ ...createBears(...a), ...createFishes(...a) }), { name: 'both', backend }),
    )
    expectTypeOf(useBoth.getState()).toEqualTypeOf<Bears & Fishes>()

    const plain: StateCreator<Counter> = (set) => ({ count: 0, label: '', inc: () => set((s) => ({ count: s.count })) })
    const store = createStore<Counter>()(persistSQLite(plain, { name: 'plain', backend }))
    expectTypeOf(store.getState()).toEqualTypeOf<Counter>()
  })

  it('accepts initializers typed for devtools and persist, and for persist and immer', () => {
    const forDevtools: StateCreator<Counter, [['zustand/devtools', never], ['zustand/persist', unknown]], []> = (
      set,
    ) => ({
      count: 0,
      label: '',
      inc: () => set((s) => ({ count: s.count + 1 }), false, 'inc'),
    })
    const useDevtools = create<Counter>()(devtools(persistSQLite(forDevtools, { name: 'counter', backend })))
    expectTypeOf(useDevtools.setState).toBeCallableWith({ count: 0 }, false, 'reset')

    const forImmer: StateCreator<Counter, [['zustand/persist', unknown], ['zustand/immer', never]], []> = (set) => ({
      count: 0,
      label: '',
      inc: () =>
        set((s) => {
          s.count += 1
        }),
    })
    const useImmer = create<Counter>()(persistSQLite(immer(forImmer), { name: 'counter', backend }))
    expectTypeOf(useImmer.persist.flush).toEqualTypeOf<() => Promise<void>>()
  })

  it('gives a store that helpers typed for the store of persist accept', () => {
    type StoreWithPersist = Mutate<StoreApi<Counter>, [['zustand/persist', Counter]]>
    const store = createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend }))
    expectTypeOf(store).toExtend<StoreWithPersist>()
  })

  it('refuses, like persist, an initializer typed with a specific persisted type', () => {
    const narrowed: StateCreator<Counter, [['zustand/persist', Persisted]], []> = (set) => ({
      count: 0,
      label: '',
      inc: () => set((s) => ({ count: s.count + 1 })),
    })
    const partialize = (s: Counter): Persisted => ({ count: s.count })
    // @ts-expect-error the initializer of persist is typed with ['zustand/persist', unknown]
    createStore<Counter>()(persist(narrowed, { name: 'counter', partialize }))
    // @ts-expect-error the initializer of persistSQLite is typed with ['zustand-sqlite/persist', unknown]
    createStore<Counter>()(persistSQLite(narrowed, { name: 'counter', backend, partialize }))
  })
})

describe('options persistSQLite refuses', () => {
  it('refuses options without a name', () => {
    // @ts-expect-error `name` is required
    createStore<Counter>()(persistSQLite(counter, { backend }))
  })

  it('refuses options without a backend', () => {
    // @ts-expect-error `backend` is required
    createStore<Counter>()(persistSQLite(counter, { name: 'counter' }))
  })

  it('refuses a migrate that does not return the persisted type', () => {
    createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        partialize: (s: Counter): Persisted => ({ count: s.count }),
        // @ts-expect-error migrate must return { count: number } or a PromiseLike of it
        migrate: () => ({ count: 'zero' }),
      }),
    )
    const store = createStore<Counter>()(
      persistSQLite(counter, { name: 'counter', backend, partialize: (s) => ({ count: s.count }) }),
    )
    // @ts-expect-error migrate must return { count: number } or a PromiseLike of it
    store.persist.setOptions({ migrate: async () => ({ count: 'zero' }) })
  })

  it('refuses unknown options, storage among them', () => {
    createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        // @ts-expect-error not an option of persistSQLite
        unknownOption: true,
      }),
    )
    createStore<Counter>()(
      persistSQLite(counter, {
        name: 'counter',
        backend,
        // @ts-expect-error storage is replaced by backend
        storage: undefined,
      }),
    )
  })

  it('refuses a backend that is not a Backend', () => {
    // @ts-expect-error a Backend needs apply, load, prepare and the rest
    createStore<Counter>()(persistSQLite(counter, { name: 'counter', backend: { name: 'nope' } }))
  })
})
