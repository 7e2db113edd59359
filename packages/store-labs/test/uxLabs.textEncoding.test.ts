import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createUXLabsStore, getUXLabs, readUXLabsFlag, updateUXLabs } from '@zustand-sqlite/store-labs'
import { databaseOn, engines } from '../../../test-utils/backends'

// Strings SQLite's UTF-8 TEXT cannot hold as they are: a lone surrogate (half of an emoji cut by `slice`) and
// NUL. Beside them, a name that an engine would write in place of the lone surrogate (U+FFFD).
const CUT = 'flag\uD800'
const REPLACED = 'flag\uFFFD'
const NUL = 'flag\u0000on'

describe.each(engines)('UX labs query functions with text SQLite cannot hold as it is, on $name', (engine) => {
  const { open } = databaseOn(engine)

  it('reads flags by such names, and returns the names of the rows as they were set', async () => {
    const backend = await open()
    const store = createUXLabsStore({ backend })
    await hydrated(store)
    store.getState().setFlag(CUT, true)
    store.getState().setFlag(REPLACED, false)
    await store.persist.flush()
    await updateUXLabs(backend, { enabledFlags: { [NUL]: true }, experiments: { 'exp\uDC00': { on: 'x\uD83D' } } })

    expect(await readUXLabsFlag(backend, CUT)).toBe(true)
    expect(await readUXLabsFlag(backend, REPLACED)).toBe(false)
    expect(await readUXLabsFlag(backend, NUL)).toBe(true)
    expect(await readUXLabsFlag(backend, 'flag\u0000')).toBe(false)

    const { labs, rows } = await getUXLabs(backend)
    expect(labs.enabledFlags).toMatchObject({ [CUT]: true, [REPLACED]: false, [NUL]: true })
    expect(labs.experiments).toEqual({ 'exp\uDC00': { on: 'x\uD83D' } })
    const names = rows.map((row) => row.name)
    for (const name of [CUT, REPLACED, NUL, 'exp\uDC00']) expect(names).toContain(name)
    expect(rows.find((row) => row.name === CUT)?.enabled).toBe(true)
    expect(rows.find((row) => row.name === REPLACED)?.enabled).toBe(false)
    expect(rows.find((row) => row.name === 'exp\uDC00')?.enabled).toBeNull()
  })
})
