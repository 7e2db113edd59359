import { ZustandSqliteError } from '@zustand-sqlite/core'

/** The longest name of a file or folder, in characters. */
export const MAX_NAME_LENGTH = 255

/** The parts of the tree the path and name rules need. */
export interface TreeFolder {
  readonly id: string
  readonly name: string
  readonly parentId: string | null
  readonly path: string
}

/** The path of an entry named `name` in the folder at `parentPath` (`''` for the root). */
export function childPath(parentPath: string, name: string): string {
  return `${parentPath}/${name}`
}

/**
 * Checks a file or folder name: a non-empty string of at most 255 characters, without `/`, control
 * characters, or the names `.` and `..`. Throws INVALID_VALUE naming `field`.
 */
export function assertName(name: unknown, field = 'name'): asserts name is string {
  const problem =
    typeof name !== 'string'
      ? `expected a string, got ${name === null ? 'null' : typeof name}`
      : name.length === 0
        ? 'a name cannot be empty'
        : name.length > MAX_NAME_LENGTH
          ? `a name has at most ${MAX_NAME_LENGTH} characters, this one ${name.length}`
          : name === '.' || name === '..'
            ? `${JSON.stringify(name)} is not a name`
            : name.includes('/')
              ? 'a name cannot contain "/"'
              : // eslint-disable-next-line no-control-regex
                /[\u0000-\u001f\u007f]/.test(name)
                ? 'a name cannot contain control characters'
                : undefined
  if (problem !== undefined) {
    throw new ZustandSqliteError('INVALID_VALUE', `workspace.${field}: ${problem}; nothing was changed`, {
      path: `workspace.${field}`,
    })
  }
}

/** The folder ids of the subtree of `rootId` (itself included), parents before children. */
export function subtreeFolderIds(folders: readonly TreeFolder[], rootId: string): string[] {
  const children = new Map<string, string[]>()
  for (const f of folders) {
    if (f.parentId === null) continue
    const list = children.get(f.parentId)
    if (list === undefined) children.set(f.parentId, [f.id])
    else list.push(f.id)
  }
  const ids = [rootId]
  for (let i = 0; i < ids.length; i++) {
    for (const child of children.get(ids[i] as string) ?? []) ids.push(child)
  }
  return ids
}

/** Bytes of `text` in UTF-8, counted without encoding it (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  xml: 'application/xml',
  json: 'application/json',
  js: 'text/javascript',
  mjs: 'text/javascript',
  ts: 'text/x-typescript',
  tsx: 'text/x-typescript',
  py: 'text/x-python',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
}

/**
 * The MIME type of a file by its extension, else `text/plain` for text content and
 * `application/octet-stream` for binary content.
 */
export function guessMimeType(name: string, binary: boolean): string {
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : ''
  // Own keys only: `notes.constructor` is no more known than `notes.xyz`.
  if (Object.hasOwn(MIME_BY_EXTENSION, extension)) return MIME_BY_EXTENSION[extension] as string
  return binary ? 'application/octet-stream' : 'text/plain'
}
