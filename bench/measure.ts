import { summarize } from './stats'
import type { Stats } from './stats'

export const now = (): number => performance.now()

/** Collects garbage when node runs with --expose-gc (npm run bench does), so one phase's garbage is not paid by the next. */
export function collectGarbage(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

export interface InterleaveOptions<C> {
  rounds: number
  /** Untimed iterations per contender before the first round (JIT, statement caches, page cache). */
  warmup: (contender: C) => number
  /** Timed iterations per contender per round. */
  perRound: (contender: C) => number
  /** Called before each round (and with -1 before the warm-up), e.g. to make that round's inputs outside any timing. */
  beforeRound?: (round: number) => void
  /** Called before each iteration, outside its timing (e.g. to compute the next state an iteration commits). */
  beforeIteration?: (contender: C, index: number, round: number) => void
}

/**
 * Runs the contenders in turns: in each round every contender runs its iterations, and the order
 * rotates from round to round, so no contender always runs first or always runs after another one's
 * garbage. Each iteration is timed alone, from the call until its promise (if any) settles.
 */
export async function interleave<C>(
  contenders: readonly C[],
  options: InterleaveOptions<C>,
  iteration: (contender: C, index: number, round: number) => unknown,
): Promise<Map<C, Stats>> {
  const samples = new Map<C, number[][]>(contenders.map((c) => [c, []]))
  options.beforeRound?.(-1)
  for (const contender of contenders) {
    for (let i = 0; i < options.warmup(contender); i++) {
      options.beforeIteration?.(contender, i, -1)
      const result = iteration(contender, i, -1)
      if (isThenable(result)) await result
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    options.beforeRound?.(round)
    for (let turn = 0; turn < contenders.length; turn++) {
      const contender = contenders[(round + turn) % contenders.length] as C
      collectGarbage()
      const times: number[] = []
      for (let i = 0; i < options.perRound(contender); i++) {
        options.beforeIteration?.(contender, i, round)
        const started = now()
        const result = iteration(contender, i, round)
        if (isThenable(result)) await result
        times.push(now() - started)
      }
      samples.get(contender)?.push(times)
    }
  }
  return new Map([...samples].map(([c, rounds]) => [c, summarize(rounds)]))
}
