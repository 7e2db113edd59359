import { collection, column, defineSchema, singleton, table } from '../schema/defineSchema'

/** Every column type, optional and nullable columns, and unknown fields kept in the rest column. */
export const typesSchema = defineSchema({
  state: {
    items: collection({
      table: 'typed_items',
      key: 'id',
      columns: {
        id: column.text(),
        text: column.text(),
        int: column.integer(),
        real: column.real(),
        flag: column.boolean(),
        data: column.json(),
        bytes: column.blob(),
        maybe: column.text({ optional: true }),
        nullable: column.integer({ nullable: true }),
      },
    }),
  },
})

export interface TypedItem {
  id: string
  text: string
  int: number
  real: number
  flag: boolean
  data: unknown
  bytes: Uint8Array
  maybe?: string
  nullable: number | null
  [unknown: string]: unknown
}

export const typedItems = (): TypedItem[] => [
  {
    id: 'a',
    text: '',
    int: 0,
    real: 0.1,
    flag: false,
    data: null,
    bytes: new Uint8Array(0),
    nullable: null,
  },
  {
    id: 'b',
    text: 'héllo wörld ✓ 🚀 \u0000 end',
    int: Number.MAX_SAFE_INTEGER,
    real: -1e300,
    flag: true,
    data: { nested: [1, 'two', { three: true, four: null }], unicode: '日本語', empty: {} },
    bytes: Uint8Array.from({ length: 256 }, (_, i) => i),
    maybe: 'present',
    nullable: -42,
    legacyKey: { kept: ['as', 'is'] },
    zenMode: 'cleaner',
  },
  {
    id: 'c',
    text: 'x'.repeat(100_000),
    int: Number.MIN_SAFE_INTEGER,
    real: 5e-324,
    flag: false,
    data: [[], [[]], 'str', 1.5, false],
    bytes: new Uint8Array([0, 255, 0]),
    nullable: 7,
  },
]

/** Every mapping shape: nested arrays, records of objects and of values, arrays of values, singletons, lazy and append-only. */
export const shapesSchema = defineSchema({
  version: 1,
  state: {
    conversations: collection({
      table: 'conversations',
      key: 'id',
      columns: { id: column.text(), created: column.integer(), userTitle: column.text({ optional: true }) },
      children: {
        messages: collection({
          table: 'messages',
          key: 'id',
          parentColumns: ['conversation_id'],
          columns: { id: column.text(), role: column.text(), created: column.integer() },
          children: {
            fragments: collection({
              table: 'fragments',
              key: 'fId',
              parentColumns: ['conversation_id', 'message_id'],
              columns: { fId: column.text(), ft: column.text(), part: column.json() },
            }),
          },
        }),
      },
    }),
    folders: collection({
      table: 'folders',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      children: {
        conversationIds: collection({
          table: 'folder_conversations',
          parentColumns: ['folder_id'],
          value: column.text({ column: 'conversation_id' }),
        }),
      },
    }),
    services: collection({
      table: 'services',
      shape: 'record',
      keyColumn: 'service_id',
      columns: { usageCount: column.integer(), totalCosts: column.real() },
    }),
    flags: collection({ table: 'flags', shape: 'record', value: column.boolean({ column: 'enabled' }) }),
    tags: collection({ table: 'tags', value: column.integer({ column: 'tag' }) }),
    settings: singleton({ table: 'settings', columns: { theme: column.text(), fontSize: column.integer() } }),
    files: collection({
      table: 'files',
      shape: 'record',
      keyColumn: 'file_id',
      columns: { name: column.text(), content: column.blob({ lazy: true }) },
    }),
  },
  tables: {
    events: table({
      columns: { id: column.integer({ optional: true }), name: column.text(), value: column.real() },
      primaryKey: ['id'],
      indexes: [{ columns: ['name'] }],
    }),
  },
})

export interface ShapesState {
  conversations: {
    id: string
    created: number
    userTitle?: string
    messages: { id: string; role: string; created: number; fragments: { fId: string; ft: string; part: unknown }[] }[]
  }[]
  folders: { id: string; title: string; color?: string; conversationIds: string[] }[]
  services: Record<string, { usageCount: number; totalCosts: number; firstUsageDate?: number }>
  flags: Record<string, boolean>
  tags: number[]
  settings: { theme: string; fontSize: number; unknownSetting?: unknown }
  files: Record<string, { name: string; content?: Uint8Array }>
  untouched: string
}

export const shapesState = (): ShapesState => ({
  conversations: [
    {
      id: 'c2',
      created: 2,
      userTitle: 'second',
      messages: [
        {
          id: 'm1',
          role: 'user',
          created: 3,
          fragments: [
            { fId: 'f1', ft: 'content', part: { pt: 'text', text: 'hi' } },
            { fId: 'f0', ft: 'attachment', part: { pt: 'doc', data: { text: 'doc body' } } },
          ],
        },
        { id: 'm2', role: 'assistant', created: 4, fragments: [] },
      ],
    },
    {
      id: 'c1',
      created: 1,
      messages: [{ id: 'm1', role: 'system', created: 1, fragments: [{ fId: 'f1', ft: 'content', part: null }] }],
    },
  ],
  folders: [
    { id: 'work', title: 'Work', color: '#ff0000', conversationIds: ['c2', 'c1'] },
    { id: 'home', title: 'Home', conversationIds: [] },
  ],
  services: {
    openai: { usageCount: 3, totalCosts: 0.25, firstUsageDate: 10 },
    'anthropic-1': { usageCount: 0, totalCosts: 0 },
  },
  flags: { labsHighPerformance: true, labsScreenWakeLock: false },
  tags: [30, 10, 20],
  settings: { theme: 'dark', fontSize: 14, unknownSetting: { from: 'a newer version' } },
  files: { f1: { name: 'a.txt', content: new Uint8Array([1, 2, 3]) } },
  untouched: 'stored as a key/value row',
})
