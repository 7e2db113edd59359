import type { SqlValue } from '../contract/sqlValue'

/**
 * How a step is run: `run` for the rows it changed, `rows` for its result rows, `named` for its result
 * rows and their column names, `script` for a parameterless script (DDL, pragmas).
 */
export type StepMode = 'run' | 'rows' | 'named' | 'script'

/** One statement of a procedure, for an executor to run. */
export interface Step {
  readonly sql: string
  readonly params: readonly SqlValue[]
  readonly mode: StepMode
}

/** What an executor hands back for one step. */
export interface StepResult {
  readonly rows: readonly (readonly SqlValue[])[]
  readonly columns: readonly string[]
  readonly changes: number
}

/**
 * The SQL tier's unit of work: a generator that yields the statements of one backend operation in order
 * and receives each one's result. Written once, it runs on a synchronous driver (driven in a loop) and on
 * an asynchronous one (driven with `await`). A statement that fails is thrown back into the generator, so
 * its `finally` and `catch` blocks (a ROLLBACK) run on both.
 */
export type Procedure<T> = Generator<Step, T, StepResult>

const NO_PARAMS: readonly SqlValue[] = Object.freeze([])

export const run = (sql: string, params: readonly SqlValue[] = NO_PARAMS): Step => ({ sql, params, mode: 'run' })
export const rows = (sql: string, params: readonly SqlValue[] = NO_PARAMS): Step => ({ sql, params, mode: 'rows' })
export const named = (sql: string, params: readonly SqlValue[] = NO_PARAMS): Step => ({ sql, params, mode: 'named' })
export const script = (sql: string): Step => ({ sql, params: NO_PARAMS, mode: 'script' })

/**
 * Runs `body` in one transaction: all of it, or on any error none of it. `BEGIN` is deferred for writes
 * whose first statement writes (the write lock is then taken before anything is read); a procedure that
 * reads before it writes asks for `BEGIN IMMEDIATE`, so that two connections wait for each other instead
 * of failing to upgrade a read snapshot.
 */
export function* transaction<T>(body: Procedure<T>, begin: 'BEGIN' | 'BEGIN IMMEDIATE' = 'BEGIN'): Procedure<T> {
  try {
    // Inside the try too: a BEGIN the engine ran but the executor then refused (a driver's run() that
    // does not tell its changes) still leaves a transaction open to roll back.
    yield run(begin)
    const result = yield* body
    // Inside the try: a deferred foreign key fails at COMMIT, which leaves the transaction open.
    yield run('COMMIT')
    return result
  } catch (error) {
    try {
      yield run('ROLLBACK')
    } catch {
      // SQLite may already have rolled back (after SQLITE_FULL, say), or never begun (BEGIN failed): the
      // original error matters.
    }
    throw error
  }
}
