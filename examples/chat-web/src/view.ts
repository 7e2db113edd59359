import { conversationTitle } from '@zustand-sqlite/store-chats'
import { UX_LABS_FLAG_DEFAULTS } from '@zustand-sqlite/store-labs'
import type { DConversation, DMessage } from '@zustand-sqlite/store-chats'
import type { WorkspaceFile } from '@zustand-sqlite/store-workspace'
import type { AppStores } from './storage'

/** The text a message shows: its text fragments, then a line per error fragment. */
export function messageText(message: DMessage): string {
  const parts: string[] = []
  for (const fragment of message.fragments) {
    const part = fragment.part
    if (part.pt === 'text' && typeof part['text'] === 'string') parts.push(part['text'])
    else if (part.pt === 'error' && typeof part['error'] === 'string') parts.push(`⚠ ${part['error']}`)
  }
  return parts.join('\n\n')
}

/** The title the drawer shows for a conversation. */
export function titleOf(conversation: Pick<DConversation, 'userTitle' | 'autoTitle'>): string {
  return conversationTitle(conversation) || 'Untitled chat'
}

/** The conversations the drawer lists: not empty ones, which the app does not keep, unless open. */
export function listedConversations(conversations: readonly DConversation[], openId: string | null): DConversation[] {
  return conversations.filter((c) => c.messages.length > 0 || c.id === openId)
}

/**
 * Everything the app shows of its stores, as plain data: the drawer (conversations, in order, with their
 * titles and messages as shown; the folders with their chats), the settings panels and the workspace
 * attachments. Two starts that show the same thing give equal snapshots: this is what the browser test compares
 * before and after a migration or a rollback.
 */
export function snapshotOf(stores: AppStores): unknown {
  const { conversations } = stores.chats.getState()
  const known = new Set(conversations.map((c) => c.id))
  const ui = stores.ui.getState()
  const labs = stores.labs.getState()
  const workspace = stores.workspace.getState()
  return {
    conversations: listedConversations(conversations, null).map((c) => ({
      id: c.id,
      title: titleOf(c),
      persona: c.systemPurposeId,
      messages: c.messages.map((m) => ({ id: m.id, role: m.role, text: messageText(m), starred: isStarred(m) })),
    })),
    folders: stores.folders.getState().folders.map((f) => ({
      id: f.id,
      title: f.title,
      color: f.color ?? null,
      collapsed: f.isCollapsed === true,
      conversations: f.conversationIds.filter((id) => known.has(id)),
    })),
    settings: {
      themeMode: ui.themeMode,
      contentScaling: ui.contentScaling,
      enterIsNewline: ui.enterIsNewline,
      messageFullWidth: ui.messageFullWidth,
      disableMarkdown: ui.disableMarkdown,
      preferredLanguage: ui.preferredLanguage,
      enableFolders: stores.folders.getState().enableFolders,
    },
    labs: Object.fromEntries(
      [...new Set([...Object.keys(UX_LABS_FLAG_DEFAULTS), ...Object.keys(labs.enabledFlags)])].map((name) => [
        name,
        labs.getFlag(name),
      ]),
    ),
    attachments: Object.fromEntries(
      Object.entries(workspace.liveFilesByWorkspace)
        .map(([conversation, ids]) => [conversation, attachedFiles(ids, workspace.files).map((f) => f.name)] as const)
        .filter(([, files]) => files.length > 0),
    ),
  }
}

/**
 * The files of a conversation that the workspace holds. An assignment to a file it does not hold is not shown: on
 * the legacy storage the workspace keeps assignments only (big-AGI keeps the files' content in another store), and
 * the migration drops such dangling assignments, counted in its report.
 */
export function attachedFiles(ids: readonly string[] | undefined, files: readonly WorkspaceFile[]): WorkspaceFile[] {
  const byId = new Map(files.map((f) => [f.id, f]))
  return (ids ?? []).flatMap((id) => byId.get(id) ?? [])
}

export const isStarred = (message: DMessage): boolean => message.userFlags?.includes('starred') === true
