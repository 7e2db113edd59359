import { readFileSync } from 'node:fs'
import type { CommitInfo } from '@zustand-sqlite/core'
import { importLegacyWorkspace } from '@zustand-sqlite/store-workspace'
import type { WorkspaceStoreApi } from '@zustand-sqlite/store-workspace'

/** What the browser held before the switch: `agi-client-workspace` in localStorage. */
const legacyLocalStorage = JSON.parse(
  readFileSync(new URL('./legacy-localStorage.json', import.meta.url), 'utf8'),
) as Record<string, string>

/**
 * The workspace store beside the chats: the first run imports the app's file assignments (whose live files
 * did not survive, as in the app); every run writes a notes file, assigns it to the run's conversation,
 * reads it back from the database, and renames the notes folder, which moves every file in it in one
 * transaction. Deleted conversations lose their assignments through the chats store's hook.
 */
export async function runWorkspace(
  workspace: WorkspaceStoreApi,
  commits: CommitInfo[],
  conversationId: string,
  run: number,
  log: (line: string) => void,
): Promise<void> {
  const s = workspace.getState
  if (s().files.length === 0) {
    const imported = importLegacyWorkspace(legacyLocalStorage['agi-client-workspace'], {
      fileIds: s().files.map((f) => f.id),
    })
    if (imported) s().mergeAssignments(imported.liveFilesByWorkspace)
    log(
      `Imported the legacy file assignments: ${Object.keys(imported?.liveFilesByWorkspace ?? {}).length} kept; dangling live file(s) dropped: ${imported?.dangling.map((d) => d.fileId).join(', ') || 'none'}`,
    )
  }

  const folder = s().entryByPath('/notes') ?? s().entryByPath('/run-notes')
  const folderId = folder?.kind === 'folder' ? folder.folder.id : s().createFolder('notes')
  const fileId = s().createFile({
    name: `run-${run}.md`,
    content: `# Run ${run}\n\nNotes of conversation ${conversationId}.\n`,
    folderId,
  })
  s().liveFileAssign(conversationId, fileId)
  const text = await s().readFile(fileId)
  const file = s().files.find((f) => f.id === fileId)
  log(`Wrote ${file?.path} (${file?.sizeBytes} bytes, ${file?.mimeType}); read back: "${String(text).split('\n')[0]}"`)

  const current = s().folders.find((f) => f.id === folderId)
  const renamed = current?.name === 'notes' ? 'run-notes' : 'notes'
  commits.length = 0
  s().rename(folderId, renamed)
  await workspace.persist.flush()
  log(
    `Renamed ${current?.path} to /${renamed}: ${commits.length} commit, ${JSON.stringify(commits[0]?.tables)}; paths now ${s()
      .listFolder(folderId)
      .files.map((f) => f.path)
      .join(', ')}`,
  )
  const history = await s().listHistory({ limit: 1000 })
  log(
    `Workspace: ${s().files.length} file(s); conversations with files: ${Object.keys(s().liveFilesByWorkspace).length}; history: ${history.length} entries, the newest ${history[0]?.action} ${history[0]?.path}`,
  )
}
