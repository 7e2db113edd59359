import type { DMessageFragmentPart } from './types'

/**
 * The error text the app puts in place of a placeholder (`pt: 'ph'`) left as the last fragment of a
 * message by a generation that never completed: `(message incomplete)` when the placeholder has an
 * operation log, else `(did not complete: <its text>)`, or `(did not complete)` without one. The app
 * interpolates any truthy `pText`; only text is shown here, so a malformed value cannot break a load.
 */
export function cutOffPlaceholderError(part: DMessageFragmentPart): string {
  if (Object.hasOwn(part, 'opLog')) return '(message incomplete)'
  const text = part['pText']
  return typeof text === 'string' && text !== '' ? `(did not complete: ${text})` : '(did not complete)'
}
