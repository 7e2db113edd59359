import { link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { randomId, ZustandSqliteError } from '@zustand-sqlite/core'
import { fromBase64Url, isSecretKeyId, rawSecretKey, toBase64Url } from './secretKey'
import type { SecretKey } from './secretKey'

const FORMAT = 'zustand-sqlite secret key'

function notAKeyFile(path: string): never {
  throw new ZustandSqliteError(
    'INVALID_OPTIONS',
    `fileSecretKey: ${JSON.stringify(path)} is not a key file of this package; nothing was changed`,
  )
}

async function readKeyFile(path: string): Promise<SecretKey> {
  const text = await readFile(path, 'utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    notAKeyFile(path)
  }
  const file = parsed as { format?: unknown; id?: unknown; key?: unknown } | null
  const bytes = typeof file?.key === 'string' ? fromBase64Url(file.key) : undefined
  if (file?.format !== FORMAT || !isSecretKeyId(file.id) || bytes?.length !== 32) notAKeyFile(path)
  return rawSecretKey(bytes, file.id as string)
}

/**
 * The key kept in a file of its own, for Node: read from `path`, or, when there is none, made (32 random bytes and
 * an id) and written there first, readable by its owner only (mode 0600; its directory is created 0700). Keep the
 * file apart from the database (another volume, a secrets mount): a copy of both opens every key. Two processes
 * creating it at once get the same key: the file is put in place atomically, and the second one reads it.
 *
 * Node only: the browser build of this package throws INVALID_OPTIONS (use `indexedDBSecretKey`). Rejects with
 * INVALID_OPTIONS for a file that is not a key file (its content is never quoted).
 *
 * @example
 * ```ts
 * const llms = createLLMsStore({ backend, secretKey: fileSecretKey('/run/secrets/app-models.key') })
 * ```
 */
export async function fileSecretKey(path: string): Promise<SecretKey> {
  if (typeof path !== 'string' || path === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'fileSecretKey: give the path of the key file')
  try {
    return await readKeyFile(path)
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const id = randomId()
  const text = `${JSON.stringify({ format: FORMAT, id, key: toBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(32))) })}\n`
  const temporary = `${path}.${randomId(8)}.tmp`
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(temporary, path)
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error
  } finally {
    await unlink(temporary)
  }
  return readKeyFile(path)
}
