import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import type { Backend, PersistSQLiteOptions } from '@zustand-sqlite/core'

// Notes whose lines (and the lines' words) load on demand, with a count: the fixture of the on-demand tests.

export interface Line {
  id: string
  text: string
  words: { id: string; w: string }[]
}
export interface Note {
  id: string
  title: string
  lines: Line[]
  lineCount?: number
}
export interface Notes {
  notes: Note[]
}

export const notesSchema = defineSchema({
  state: {
    notes: collection({
      table: 'notes',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      children: {
        lines: collection({
          table: 'lines',
          key: 'id',
          load: 'onDemand',
          countField: 'lineCount',
          columns: { id: column.text(), text: column.text() },
          children: {
            words: collection({ table: 'words', key: 'id', columns: { id: column.text(), w: column.text() } }),
          },
        }),
      },
    }),
  },
})

/** A notes store named `notes` on `backend`, hydrated in full unless `extra` says otherwise. */
export const openNotes = (backend: Backend, extra: Partial<PersistSQLiteOptions<Notes, Notes>> = {}) =>
  createStore<Notes>()(persistSQLite(() => ({ notes: [] }), { name: 'notes', backend, schema: notesSchema, ...extra }))

/** A line with one word, its id the line's and `w`. */
export const line = (id: string, text = id): Line => ({ id, text, words: [{ id: `${id}w`, w: text }] })
