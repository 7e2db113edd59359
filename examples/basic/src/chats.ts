import { readFileSync } from 'node:fs'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  conversationTitle,
  createChatsStore,
  createDMessageTextContent,
  importLegacyChats,
  listConversations,
  messageCountOf,
} from '@zustand-sqlite/store-chats'
import { createChatFoldersStore, importLegacyChatFolders } from '@zustand-sqlite/store-folders'

const read = (name: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as Record<string, string>
/** What the browser held before the switch: `app-chats` in IndexedDB, `app-folders` in localStorage. */
const legacyIndexedDb = read('./legacy-indexeddb.json')
const legacyLocalStorage = read('./legacy-localStorage.json')

/**
 * The chats and chat folders stores on the app's database. The first run imports the chats the app kept
 * in IndexedDB and its folders; every run adds a conversation, streams an answer into it token by token
 * (one fragment row per token), files it in the "Runs" folder, and keeps the last three runs: deleting
 * the oldest also takes it out of its folder.
 */
export async function runChats(
  backend: Backend,
  run: number,
  log: (line: string) => void,
  onCommit: (info: CommitInfo) => void,
  onConversationsDeleted: (ids: readonly string[]) => void = () => undefined,
) {
  const firstRun = (await listConversations(backend)).total === 0
  const folders = createChatFoldersStore({ backend })
  // The conversation list first: stored conversations come with their message counts, their messages stay in
  // the database until one is opened (`loadMessages`). This run only adds to the list and deletes from it.
  const chats = createChatsStore({
    backend,
    hydrate: 'onDemand',
    onCommit,
    onConversationsDeleted: (ids) => {
      folders.getState().removeConversationsFromFolders(ids)
      onConversationsDeleted(ids)
    },
  })

  if (firstRun) {
    const imported = importLegacyChats(legacyIndexedDb['app-chats'])
    for (const conversation of [...(imported?.state.conversations ?? [])].reverse())
      chats.getState().importConversation(conversation, true)
    const existing = chats.getState().conversations.map((c) => c.id)
    const importedFolders = importLegacyChatFolders(legacyLocalStorage['app-folders'], { conversationIds: existing })
    if (importedFolders)
      folders.getState().importFoldersAppend(importedFolders.state.folders, importedFolders.state.enableFolders)
    log(
      `Imported ${imported?.report.conversations ?? 0} chat(s) from IndexedDB (version 3, ${imported?.report.converted ?? 0} text message(s) turned into fragments) and ${importedFolders?.state.folders.length ?? 0} folder(s); dropped dangling folder link(s): ${importedFolders?.dangling.map((d) => d.conversationId).join(', ') || 'none'}`,
    )
  } else {
    // The drawer, from the store's own state: titles and counts, not a message read.
    const list = chats.getState().conversations
    log(
      `Found ${list.length} stored conversation(s); newest: ${list
        .slice(0, 3)
        .map((c) => `"${conversationTitle(c)}" (${messageCountOf(c)} messages)`)
        .join(', ')}`,
    )
  }

  const runsFolder =
    folders.getState().folders.find((f) => f.title === 'Runs')?.id ?? folders.getState().createFolder('Runs')
  const c = chats.getState()
  const id = c.prependNewConversation()
  c.setUserTitle(id, `Run ${run}`)
  c.appendMessage(id, createDMessageTextContent('user', 'What does a streamed answer write?'))
  const answer = { ...createDMessageTextContent('assistant', ''), pendingIncomplete: true }
  c.appendMessage(id, answer)
  folders.getState().addConversationToFolder(runsFolder, id)
  await Promise.all([chats.persist.flush(), folders.persist.flush()])

  // A streamed answer: every token is one set and one commit of one fragment row.
  let text = ''
  for (const token of ['One', ' fragment', ' row', ' per', ' token.']) {
    text += token
    const fragment = answer.fragments[0]
    if (fragment)
      chats.getState().replaceMessageFragment(id, answer.id, fragment.fId, { ...fragment, part: { pt: 'text', text } })
    await chats.persist.flush()
  }
  chats.getState().editMessage(id, answer.id, {}, true, true)

  // Keep the last three runs: the oldest leaves the store and, through the cascade, its folder.
  const inFolder = folders.getState().folders.find((f) => f.id === runsFolder)?.conversationIds ?? []
  if (inFolder.length > 3) chats.getState().deleteConversations(inFolder.slice(0, inFolder.length - 3))
  await Promise.all([chats.persist.flush(), folders.persist.flush()])

  const kept = folders.getState().folders.find((f) => f.id === runsFolder)?.conversationIds.length ?? 0
  log(`Run ${run}: streamed "${text}"; the Runs folder holds ${kept} conversation(s).`)
  return { chats, folders, conversationId: id }
}
