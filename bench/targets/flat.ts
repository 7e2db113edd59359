// F1: what one change costs at any size. The same edit and append as an app's action makes them with
// `replaceAt` (the copy of the list with one item replaced, noted for the diff), on NONE (the update
// alone) and LIB, from 1k to 1M messages: the time the library adds (LIB minus NONE) must stay flat. The
// same edit made with `map` (no note: the diff compares the whole list) is measured beside it.
import { join } from 'node:path'
import { replaceAt } from '@zustand-sqlite/core'
import type { BenchContext } from '../context'
import { openLib, openNone } from '../contenders'
import type { ChatContender, LibChat } from '../contenders'
import {
  applyEdit,
  buildChat,
  createRandom,
  makeEdit,
  makeText,
  MESSAGES_PER_CONVERSATION,
  randomInt,
} from '../dataset'
import type { ChatState, Conversation, Edit, Message } from '../dataset'
import { collectGarbage, interleave } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatRatio, formatUs, sizeLabel } from '../stats'
import type { Stats } from '../stats'

/** F1's sizes (messages, in N/10 conversations) and iterations. */
export interface FlatOptions {
  sizes: readonly number[]
  rounds: number
  warmup: number
  perRound: number
}

type Op = 'edit' | 'append' | 'edit (map)'
const OPS: readonly Op[] = ['edit', 'append', 'edit (map)']

/** One change: a message's text replaced, or a message appended, in conversation `conversation`. */
interface Change {
  conversation: number
  message: number
  text: string
  at: number
  id: string
  edit: Edit
}

let appended = 0

/** The app's update for `op`, made the way an action using the library makes it. */
function applyChange(op: Op, state: ChatState, change: Change): ChatState {
  if (op === 'edit (map)') return applyEdit(state, change.edit)
  const conversation = state.conversations[change.conversation] as Conversation
  let messages: Message[]
  if (op === 'edit') {
    const message = conversation.messages[change.message] as Message
    messages = replaceAt(conversation.messages, change.message, { ...message, text: change.text, updated: change.at })
  } else {
    const message: Message = { id: change.id, role: 'user', text: change.text, created: change.at, updated: change.at }
    messages = [...conversation.messages, message]
  }
  return {
    conversations: replaceAt(state.conversations, change.conversation, { ...conversation, messages }),
  }
}

function makeChange(random: () => number, conversations: number): Change {
  const edit = makeEdit(random, conversations, 1)
  const first = edit.changes[0] as Edit['changes'][number]
  return {
    conversation: first.conversation,
    message: randomInt(random, MESSAGES_PER_CONVERSATION),
    text: makeText(random),
    at: edit.updated,
    id: `m-appended-${++appended}`,
    edit,
  }
}

type Results = Map<Op, Map<'NONE' | 'LIB', { persistOnly: Stats; withUpdate: Stats }>>

/** One size: every op on NONE and LIB, interleaved, with the update timed and computed beforehand. */
async function measureAtSize(ctx: BenchContext, options: FlatOptions, n: number): Promise<Results> {
  const state = buildChat(n, ctx.options.seed + n)
  ctx.progress(`F1: N=${sizeLabel(n)}: writing the initial state`)
  const lib: LibChat = await openLib(join(ctx.dir, `flat-${n}.db`), 'flat', state, ctx.options.synchronous)
  const contenders: ChatContender[] = [openNone(state), lib]
  const random = createRandom(ctx.options.seed * 17 + n)
  const results: Results = new Map()
  try {
    for (const op of OPS) {
      ctx.progress(`F1: N=${sizeLabel(n)}: ${op}`)
      let changes: Change[] = []
      const beforeRound = (round: number) => {
        const count = round < 0 ? options.warmup : options.perRound
        changes = Array.from({ length: count }, () => makeChange(random, state.conversations.length))
      }
      const rowsBefore = lib.log.rows
      const commitsBefore = lib.log.commits
      let pending: ChatState | undefined
      const persistOnly = await interleave(
        contenders,
        {
          rounds: options.rounds,
          warmup: () => options.warmup,
          perRound: () => options.perRound,
          beforeRound,
          beforeIteration: (c, i) => {
            pending = applyChange(op, c.store.getState(), changes[i] as Change)
          },
        },
        (c, i) => c.commit(pending as ChatState, (changes[i] as Change).edit),
      )
      const withUpdate = await interleave(
        contenders,
        { rounds: options.rounds, warmup: () => options.warmup, perRound: () => options.perRound, beforeRound },
        (c, i) => {
          const change = changes[i] as Change
          return c.commit(applyChange(op, c.store.getState(), change), change.edit)
        },
      )
      const sets = 2 * (options.warmup + options.rounds * options.perRound)
      ctx.facts[`F1 LIB ${op} writes at N=${sizeLabel(n)}`] = {
        sets,
        commits: lib.log.commits - commitsBefore,
        rows: lib.log.rows - rowsBefore,
      }
      const byName = new Map<'NONE' | 'LIB', { persistOnly: Stats; withUpdate: Stats }>()
      for (const c of contenders)
        byName.set(c.name as 'NONE' | 'LIB', {
          persistOnly: persistOnly.get(c) as Stats,
          withUpdate: withUpdate.get(c) as Stats,
        })
      results.set(op, byName)
    }
    return results
  } finally {
    for (const c of contenders) await c.close()
    collectGarbage()
  }
}

const us = (stats: Stats | undefined): number => (stats?.median ?? Number.NaN) * 1000

/** F1: the time the library adds to one change, from the smallest size to the largest. */
export async function runFlatTarget(ctx: BenchContext, options: FlatOptions): Promise<TargetResult> {
  const bySize = new Map<number, Results>()
  for (const n of options.sizes) bySize.set(n, await measureAtSize(ctx, options, n))
  const smallest = options.sizes[0] as number
  const largest = options.sizes[options.sizes.length - 1] as number
  const added = (n: number, op: Op, kind: 'persistOnly' | 'withUpdate'): number => {
    const at = bySize.get(n)?.get(op)
    return us(at?.get('LIB')?.[kind]) - us(at?.get('NONE')?.[kind])
  }
  const measurements: Measurement[] = []
  for (const n of options.sizes)
    for (const op of OPS)
      for (const name of ['NONE', 'LIB'] as const)
        for (const kind of ['persistOnly', 'withUpdate'] as const) {
          const stats = bySize.get(n)?.get(op)?.get(name)?.[kind] as Stats
          measurements.push({
            contender: `${name} ${op}${kind === 'withUpdate' ? ', update timed' : ''}`,
            size: sizeLabel(n),
            unit: 'µs',
            median: us(stats),
            p90: stats.p90 * 1000,
            samples: stats.count,
            extra: { roundMedians: stats.roundMedians.map((m) => m * 1000) },
          })
        }
  const label = `(LIB-NONE) ${sizeLabel(largest)}/${sizeLabel(smallest)}`
  const checks: Check[] = (['edit', 'append'] as const).map((op) => {
    const big = added(largest, op, 'persistOnly')
    const small = added(smallest, op, 'persistOnly')
    return limitCheck({
      contender: `LIB ${op}`,
      size: sizeLabel(largest),
      label,
      value: big / small,
      detail: `${formatRatio(big / small)} (${formatUs(big)} / ${formatUs(small)})`,
      target: '<= 1.5x',
      max: 1.5,
    })
  })
  const line = (op: Op, kind: 'persistOnly' | 'withUpdate') =>
    options.sizes.map((n) => `${sizeLabel(n)} ${formatUs(added(n, op, kind))}`).join(', ')
  const writes = options.sizes.flatMap((n) =>
    OPS.map((op) => ctx.facts[`F1 LIB ${op} writes at N=${sizeLabel(n)}`] as Record<string, number>),
  )
  const oneRowEach = writes.every((w) => w['commits'] === w['sets'] && w['rows'] === w['sets'])
  return {
    id: 'F1',
    title:
      'one change at any size: the time LIB adds to a set until committed (LIB minus NONE), the update made with replaceAt',
    target: `${label} <= 1.5 for an edit and an append`,
    measurements,
    checks,
    notes: [
      'timed: setState(next) then flush() (NONE: setState(next)), next computed beforehand; LIB minus NONE per size, edit: ' +
        line('edit', 'persistOnly') +
        '; append: ' +
        line('append', 'persistOnly'),
      `the same edit made with map (no note: the diff compares every conversation), LIB minus NONE: ${line('edit (map)', 'persistOnly')}`,
      `with the update inside the timing (the copy of the conversation list is the app's, O(N) for any store), LIB minus NONE, edit: ${line('edit', 'withUpdate')}; append: ${line('append', 'withUpdate')}`,
      oneRowEach
        ? 'onCommit: every LIB set was one commit of one row (at every size, every op).'
        : `onCommit: LIB sets were not one commit of one row each: ${JSON.stringify(writes)}`,
    ],
  }
}
