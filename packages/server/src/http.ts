import type { ZustandSqliteError } from '@zustand-sqlite/core'
import { isZustandSqliteError } from '@zustand-sqlite/core'

/** The body of every error response. */
export interface ErrorBody {
  /** The library's error code (`INVALID_CHANGESET`, `CONCURRENT_MODIFICATION`, ...) or an HTTP one (`UNAUTHORIZED`, ...). */
  readonly code: string
  readonly message: string
  /** Where in the request the problem is: `$.tables[0]` in a ChangeSet, `body.title` or `params.id` on a REST route. */
  readonly path?: string
  /** The store the error concerns, in a batch. */
  readonly store?: string
}

/** An error answered with its own status and code (401, 404, 413, a request's input refused, ...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message)
  }
}

/** The status of each library error code; any other is 500. */
export const STATUS_OF: Readonly<Record<string, number>> = {
  INVALID_CHANGESET: 400,
  INVALID_OPTIONS: 400,
  INVALID_VALUE: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_MOVE: 409,
  MIGRATION_FAILED: 409,
  CONCURRENT_MODIFICATION: 412,
  UNSTORABLE_VALUE: 400,
  DUPLICATE_KEY: 409,
  ROW_REFUSED: 409,
  DATABASE_BUSY: 503,
  SCHEMA_TOO_NEW: 409,
  TABLE_CONFLICT: 409,
  SCHEMA_MISMATCH: 409,
}

/** A JSON response that no cache keeps. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  })
}

/** An error's message without the `[zustand-sqlite] CODE: ` its constructor put in front. */
export const plainMessage = (error: ZustandSqliteError): string =>
  error.message.replace(/^\[zustand-sqlite\] [A-Z_]+: /, '')

/** The response to an error: its status and an {@link ErrorBody}; an unexpected one is logged and is 500. */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError)
    return json(error.status, {
      code: error.code,
      message: error.message,
      ...(error.path === undefined ? {} : { path: error.path }),
    })
  if (isZustandSqliteError(error)) {
    const body: ErrorBody = {
      code: error.code,
      message: plainMessage(error),
      ...(typeof error.path === 'string' ? { path: error.path } : {}),
      ...(typeof error.store === 'string' ? { store: error.store } : {}),
    }
    return json(STATUS_OF[error.code] ?? 500, body)
  }
  console.error('[zustand-sqlite/server] an unexpected error', error)
  return json(500, { code: 'INTERNAL', message: 'the server failed to handle the request' })
}

/** Reads a body of at most `limit` bytes: 413 as soon as it is larger, without reading the rest. */
export async function readBody(request: Request, limit: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  const tooLarge = (): never => {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`)
  }
  if (Number.isFinite(declared) && declared > limit) tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body !== null) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > limit) {
        await reader.cancel()
        tooLarge()
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  let textBody: string
  try {
    textBody = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new HttpError(400, 'INVALID_REQUEST', 'the request body is not UTF-8')
  }
  try {
    return JSON.parse(textBody)
  } catch {
    throw new HttpError(400, 'INVALID_REQUEST', 'the request body is not JSON')
  }
}
