import { collection, column, defineSchema } from '@zustand-sqlite/core'

/**
 * The chats tables: `conversations`, `messages` and `fragments`, nested. Queryable scalars (titles,
 * role, times, archived) are typed columns; the parts that keep evolving (fragment parts, vendor state,
 * generator, metadata, user flags) are JSON columns, stored in full; fields a newer app adds go to
 * `extra`. Array order is kept by `sort_key` order keys, so prepending a conversation writes one row.
 *
 * A message id is unique within its conversation, and a fragment id within its message: the keys are
 * (conversation_id, id) and (conversation_id, message_id, fragment_id), since branches and imports copy
 * message ids into other conversations.
 *
 * Messages load on demand: a store made with `hydrate: 'onDemand'` reads the conversations alone, with
 * their message counts (`conversations.message_count`, schema version 2, kept by every write), and a
 * conversation's messages when it is opened.
 */
export const chatsSchema = defineSchema({
  version: 2,
  migrations: {
    2: [
      'ALTER TABLE conversations ADD COLUMN message_count INTEGER',
      'UPDATE conversations SET message_count = (SELECT count(*) FROM messages WHERE messages.conversation_id = conversations.id)',
    ],
  },
  state: {
    conversations: collection({
      table: 'conversations',
      key: 'id',
      columns: {
        id: column.text(),
        systemPurposeId: column.text(),
        userTitle: column.text({ optional: true }),
        autoTitle: column.text({ optional: true }),
        isArchived: column.boolean({ optional: true }),
        userSymbol: column.text({ optional: true }),
        created: column.integer(),
        updated: column.integer({ nullable: true }),
        tokenCount: column.integer({ optional: true }),
      },
      transient: ['_abortController', '_isIncognito'],
      indexes: [{ columns: ['updated'] }, { columns: ['created'] }],
      children: {
        messages: collection({
          table: 'messages',
          key: 'id',
          parentColumns: ['conversation_id'],
          load: 'onDemand',
          countField: 'messageCount',
          columns: {
            id: column.text(),
            role: column.text(),
            purposeId: column.text({ optional: true }),
            metadata: column.json({ optional: true }),
            generator: column.json({ optional: true }),
            userFlags: column.json({ optional: true }),
            tokenCount: column.integer({ optional: true }),
            created: column.integer(),
            updated: column.integer({ nullable: true }),
          },
          transient: ['pendingIncomplete'],
          children: {
            fragments: collection({
              table: 'fragments',
              key: 'fId',
              parentColumns: ['conversation_id', 'message_id'],
              columns: {
                fId: column.text({ column: 'fragment_id' }),
                ft: column.text(),
                part: column.json(),
                originId: column.text({ optional: true }),
                vendorState: column.json({ optional: true }),
                title: column.text({ optional: true }),
                caption: column.text({ optional: true }),
                created: column.integer({ optional: true }),
                liveFileId: column.text({ optional: true }),
              },
            }),
          },
        }),
      },
    }),
  },
})
