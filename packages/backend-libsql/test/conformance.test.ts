import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createLibsqlBackend } from '@zustand-sqlite/backend-libsql'
import { statelessClient } from './fixtures/statelessClient'

let dir: string | undefined
let file = ''

const cleanup = (): void => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
}

const newFile = (): string => {
  dir = mkdtempSync(join(tmpdir(), 'zs-libsql-'))
  file = join(dir, 'test.db')
  return file
}

runBackendConformance('libsql (embedded file, WAL)', {
  open: () => createLibsqlBackend({ file: newFile() }),
  reopen: () => createLibsqlBackend({ file }),
  cleanup,
})

const statelessBackend = async () => {
  const url = pathToFileURL(file).href
  const setup = createClient({ url })
  await setup.execute('PRAGMA journal_mode = WAL')
  setup.close()
  return createLibsqlBackend({ client: statelessClient(url) })
}

runBackendConformance('libsql (a client without session state, as a server)', {
  open: () => {
    newFile()
    return statelessBackend()
  },
  reopen: statelessBackend,
  cleanup,
})
