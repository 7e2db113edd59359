// The status quo: Zustand's persist, the whole state as one JSON string in IndexedDB through idb-keyval.
import { del, get, set } from 'idb-keyval'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { ChatState } from '../../../dataset'

const store = createStore<ChatState>()(
  persist((): ChatState => ({ conversations: [] }), {
    name: 'chat',
    storage: createJSONStorage(() => ({
      getItem: async (key) => (await get<string>(key)) ?? null,
      setItem: (key, value) => set(key, value),
      removeItem: (key) => del(key),
    })),
  }),
)
store.subscribe((s) => (document.body.textContent = `${s.conversations.length} conversations`))
// What the bench waits for before it counts the files loaded.
const ready = (): void => void (document.title = 'hydrated')
if (store.persist.hasHydrated()) ready()
else store.persist.onFinishHydration(ready)
