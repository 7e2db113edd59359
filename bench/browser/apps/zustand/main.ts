// The baseline: the chat store with Zustand alone, no persistence.
import { createStore } from 'zustand/vanilla'
import type { ChatState } from '../../../dataset'

const store = createStore<ChatState>()(() => ({ conversations: [] }))
store.subscribe((s) => (document.body.textContent = `${s.conversations.length} conversations`))
// What the bench waits for before it counts the files loaded.
document.title = 'hydrated'
