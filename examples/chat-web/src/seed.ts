import type { DConversationId, DMessageRole, DMessageUserFlag } from '@zustand-sqlite/store-chats'
import { FOLDERS_COLOR_PALETTE } from '@zustand-sqlite/store-folders'
import type { DFolder } from '@zustand-sqlite/store-folders'
import type { ServiceMetricsAggregate } from '@zustand-sqlite/store-metrics'
import type { WorkspaceId } from '@zustand-sqlite/store-workspace'

// The legacy data a big-AGI user's browser holds, generated on the example app's first start so that the
// migration to SQLite has something to move. Pure data (the folders' palette is the one runtime import): no
// Date.now() and no Math.random(), so one seed always gives the same bytes.

/** What {@link legacySeed} returns: the exact strings big-AGI's browser holds, by key. */
export interface LegacySeed {
  /** `app-ui`, `app-ux-labs`, `app-device`, `app-folders`, `app-metrics`, `agi-client-workspace`. */
  localStorage: Record<string, string>
  /** idb-keyval's database (`keyval-store` / `keyval`): `app-chats`, as the JSON text the app writes there. */
  indexedDB: Record<string, string>
}

/** Options of {@link legacySeed}. */
export interface LegacySeedOptions {
  /**
   * How many conversations `app-chats` holds, messy ones included: a non-negative integer.
   * @default 300
   */
  conversations?: number
  /**
   * The seed of the generator: the same seed, the same data. Any integer (taken modulo 2^32).
   * @default 1
   */
  seed?: number
}

/** A message of big-AGI's chats store at version 3: one `text` per message, before fragments. */
export interface LegacyV3Message {
  id: string
  text: string
  /** `'You'` for the user, `'Bot'` otherwise. */
  sender: string
  avatar: string | null
  /** Set while the answer streamed in; left `true` by a generation that never completed. */
  typing: boolean
  role: DMessageRole
  purposeId?: string
  originLLM?: string
  /** Missing in a few messages, as in real stores. */
  tokenCount?: number
  created: number
  updated: number | null
  userFlags?: DMessageUserFlag[]
  metadata?: { inReplyToText?: string }
}

/** A conversation of big-AGI's chats store at version 3. Stale keys (`abortController`, ...) sit in a few. */
export interface LegacyV3Conversation {
  id: DConversationId
  messages: LegacyV3Message[]
  systemPurposeId: string
  userTitle?: string
  autoTitle?: string
  tokenCount: number
  created: number
  updated: number | null
  [staleKey: string]: unknown
}

/** The defaults of {@link LegacySeedOptions}. */
export const SEED_DEFAULTS = { conversations: 300, seed: 1 } as const

/** The first conversation may start here (2023-03-28, when big-AGI had just gone multi-chat); dates are offsets. */
export const SEED_EPOCH = 1_680_000_000_000

/** Conversations start within this span after {@link SEED_EPOCH}: about 18 months. */
export const SEED_SPAN_MS = 540 * 24 * 60 * 60 * 1000

/** The legacy versions each key is seeded at: the app's own, or an older one its importer still takes. */
export const SEED_VERSIONS = {
  'app-chats': 3,
  'app-ui': 1,
  'app-ux-labs': 1,
  'app-device': 1,
  'app-folders': 0,
  'app-metrics': 0,
  'agi-client-workspace': 0,
} as const

/** The personas (`systemPurposeId`) the conversations use. */
export const SEED_PURPOSES = ['Generic', 'Developer', 'Scientist', 'Catalyst', 'Executive'] as const

/** A persona of the seeded conversations. */
export type SeedPurposeId = (typeof SEED_PURPOSES)[number]

/**
 * The titles of the seeded folders, in display order: each seed makes the first 5 to 7, so `Work`,
 * `Research`, `Personal`, `Side projects` and `Learning` are always there.
 */
export const SEED_FOLDER_TITLES = ['Work', 'Research', 'Personal', 'Side projects', 'Learning', 'Travel', 'Recipes']

/** The unknown key a few conversations carry, as left by another build of the app. */
export const SEED_UNKNOWN_KEY = 'pinnedAt'

/**
 * How much mess `app-chats` holds, as real stores do (with 21 conversations or more; fewer get what fits,
 * in this order): conversations without messages or title, a conversation that repeats another's id, an
 * answer left `typing: true`, messages without `tokenCount`, and stale keys: `abortController`,
 * `ephemerals` and {@link SEED_UNKNOWN_KEY}. `app-folders` holds one link to a conversation that is gone.
 */
export const SEED_MESS = {
  emptyConversations: 2,
  duplicateIds: 1,
  typingMessages: 3,
  missingTokenCounts: 3,
  abortControllers: 4,
  ephemerals: 4,
  unknownKeys: 3,
  danglingFolderLinks: 1,
} as const

// ---------------------------------------------------------------------------------------------------------
// Randomness: mulberry32, one stream per part (each conversation, the folders, ...), so that one part's
// draws do not shift another's.

interface Random {
  /** In [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  int(min: number, max: number): number
  chance(probability: number): boolean
  pick<T>(list: readonly T[]): T
  shuffle<T>(list: readonly T[]): T[]
  uuid(): string
  /** `size` characters of nanoid's URL-safe alphabet. */
  nanoid(size: number): string
}

const NANOID_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'
const HEX = '0123456789abcdef'

function createRandom(seed: number): Random {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(list: readonly T[]): T => {
    if (list.length === 0) throw new RangeError('pick from an empty list')
    return list[int(0, list.length - 1)] as T
  }
  const chars = (alphabet: string, size: number): string => {
    let out = ''
    for (let i = 0; i < size; i++) out += alphabet[int(0, alphabet.length - 1)]
    return out
  }
  return {
    next,
    int,
    pick,
    chance: (probability) => next() < probability,
    shuffle: (list) => {
      const out = [...list]
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i)
        ;[out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]]
      }
      return out
    },
    // Version 4, variant 10xx: what `uuidv4()` gave the app's ids in 2023.
    uuid: () =>
      `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-${HEX[int(8, 11)]}${chars(HEX, 3)}-${chars(HEX, 12)}`,
    nanoid: (size) => chars(NANOID_ALPHABET, size),
  }
}

/** The stream named `part` of `seed`: FNV-1a over the name, mixed with the seed. */
function stream(seed: number, part: string): Random {
  let hash = 0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)
  for (let i = 0; i < part.length; i++) hash = Math.imul(hash ^ part.charCodeAt(i), 0x01000193)
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return createRandom(hash ^ (hash >>> 16))
}

// ---------------------------------------------------------------------------------------------------------
// Text: topics per persona, and templates whose ⟨placeholders⟩ are filled with the topic's words.

interface Topic {
  /** What the app's auto-title would say. */
  readonly title: string
  /** What a user types as a title. */
  readonly label: string
  readonly subject: string
  readonly tech: string
  readonly terms: readonly string[]
  /** First questions. */
  readonly asks: readonly string[]
  /** Code that belongs to the topic, by snippet name. */
  readonly code?: readonly SnippetName[]
  readonly errors?: readonly string[]
}

const TOPICS: Readonly<Record<SeedPurposeId, readonly Topic[]>> = {
  Developer: [
    {
      title: 'Debouncing a Search Input in React',
      label: 'react debounce',
      subject: 'debouncing the search input',
      tech: 'React',
      terms: ['the effect cleanup', 'stale closures', 'useDeferredValue', 'the debounce delay', 'request cancellation'],
      asks: [
        'My search box fires a request on every keystroke. How do I debounce it properly in React 18?',
        'What is the cleanest way to debounce an input in React without pulling in lodash?',
      ],
      code: ['debounce', 'debounceHook'],
      errors: ["Warning: Can't perform a React state update on an unmounted component."],
    },
    {
      title: 'SQLite WAL Mode and Concurrent Writers',
      label: 'sqlite wal',
      subject: 'write-ahead logging in SQLite',
      tech: 'SQLite',
      terms: ['checkpoints', 'busy_timeout', 'BEGIN IMMEDIATE', 'the -wal file', 'synchronous=NORMAL'],
      asks: [
        'We get "database is locked" errors under load. Would switching SQLite to WAL mode fix it?',
        'Can you explain how WAL mode works in SQLite and when it is a bad idea?',
      ],
      code: ['wal'],
      errors: ['SQLITE_BUSY: database is locked'],
    },
    {
      title: 'Python asyncio Task Groups',
      label: 'asyncio taskgroup',
      subject: 'structured concurrency with asyncio',
      tech: 'Python',
      terms: ['TaskGroup', 'cancellation', 'ExceptionGroup', 'asyncio.timeout', 'semaphores'],
      asks: [
        'How do I run 50 HTTP requests concurrently with asyncio but at most 10 at a time?',
        'What is the difference between asyncio.gather and TaskGroup in Python 3.11?',
      ],
      code: ['taskGroup'],
      errors: ['RuntimeError: Task got Future attached to a different loop'],
    },
    {
      title: 'Rust Borrow Checker Error E0502',
      label: 'rust borrow help',
      subject: 'the borrow checker',
      tech: 'Rust',
      terms: ['lifetimes', 'shared borrows', 'mutable borrows', 'cloning', 'non-lexical lifetimes'],
      asks: [
        'I keep hitting E0502 when I push to a Vec while holding a reference to one of its items. How do I fix it?',
        'Can you explain the Rust borrowing rules with an example that actually fails to compile?',
      ],
      code: ['borrow'],
      errors: ['error[E0502]: cannot borrow `items` as mutable because it is also borrowed as immutable'],
    },
    {
      title: 'Multi-Stage Docker Builds for Node',
      label: 'dockerfile',
      subject: 'a multi-stage Docker build',
      tech: 'Docker',
      terms: ['layer caching', 'the build stage', 'npm ci', 'image size', 'a non-root user'],
      asks: [
        'Our Node image is 1.2 GB. How can a multi-stage build make it smaller?',
        'Can you review this Dockerfile and tell me why every build reinstalls all dependencies?',
      ],
      code: ['dockerfile'],
    },
    {
      title: 'Git Rebase vs Merge for Feature Branches',
      label: 'git rebase?',
      subject: 'rebasing a feature branch',
      tech: 'Git',
      terms: ['force-with-lease', 'conflicts', 'a linear history', 'interactive rebase', 'the reflog'],
      asks: [
        'Should our team rebase feature branches or merge main into them? We keep arguing about it.',
        'I rebased and now my branch looks wrong. How do I undo a rebase?',
      ],
      code: ['rebase'],
      errors: ['error: failed to push some refs (non-fast-forward)'],
    },
    {
      title: 'Speeding Up a Slow Postgres Query',
      label: 'slow query',
      subject: 'indexing for a slow query',
      tech: 'PostgreSQL',
      terms: ['a composite index', 'EXPLAIN ANALYZE', 'sequential scans', 'the planner statistics', 'covering indexes'],
      asks: [
        'This query takes 4 seconds on a table with 2M rows. What index should I add?',
        'How do I read the output of EXPLAIN ANALYZE in Postgres?',
      ],
      code: ['explain'],
    },
    {
      title: 'TypeScript Discriminated Unions',
      label: 'ts unions',
      subject: 'discriminated unions',
      tech: 'TypeScript',
      terms: ['exhaustiveness checks', 'the never type', 'type narrowing', 'a kind field', 'type guards'],
      asks: [
        'How do I model API events with different payloads in TypeScript so the compiler catches missing cases?',
        'What is a discriminated union and why do people keep recommending them?',
      ],
      code: ['events', 'groupBy'],
      errors: ["Property 'changes' does not exist on type 'OrderEvent'."],
    },
    {
      title: 'CSS Grid Layout for a Dashboard',
      label: 'dashboard grid',
      subject: 'a responsive dashboard grid',
      tech: 'CSS',
      terms: ['auto-fill', 'minmax', 'grid-column spans', 'container queries', 'gaps'],
      asks: [
        'I need a dashboard of cards that reflows from 4 columns to 1 on mobile. Grid or flexbox?',
        'How do I make some cards in a CSS grid span two columns without breaking the layout on phones?',
      ],
      code: ['grid'],
    },
    {
      title: 'Go Context Cancellation and Timeouts',
      label: 'go ctx',
      subject: 'context cancellation',
      tech: 'Go',
      terms: ['context.WithTimeout', 'defer cancel()', 'goroutine leaks', 'error wrapping', 'http.Client timeouts'],
      asks: [
        'How do I put a timeout on an outgoing HTTP call in Go and make sure nothing leaks?',
        'When should I pass a context.Context and when is it overkill?',
      ],
      code: ['timeout'],
    },
    {
      title: 'Node.js Streams and Backpressure',
      label: 'node streams',
      subject: 'backpressure in Node.js streams',
      tech: 'Node.js',
      terms: ['pipeline()', 'highWaterMark', 'Transform streams', 'async iterators', 'memory usage'],
      asks: [
        'Processing a 3 GB CSV in Node runs out of memory. How do streams help here?',
        'What does backpressure mean for Node streams, concretely?',
      ],
      code: ['pipeline'],
      errors: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
    },
    {
      title: 'Retry with Exponential Backoff',
      label: 'retry helper',
      subject: 'retries with exponential backoff',
      tech: 'TypeScript',
      terms: ['jitter', 'idempotency', 'the maximum delay', 'retryable errors', 'circuit breakers'],
      asks: [
        'Can you write a small retry helper with exponential backoff for fetch calls?',
        'Which errors should be retried when calling a flaky third-party API?',
      ],
      code: ['retry'],
    },
  ],
  Generic: [
    {
      title: 'Weekend Itinerary for Lisbon',
      label: 'Lisbon trip',
      subject: 'a weekend in Lisbon',
      tech: 'travel planning',
      terms: ['the Alfama district', 'tram 28', 'pastéis de nata', 'a day trip to Sintra', 'the LX Factory'],
      asks: [
        'I have two days in Lisbon in October. What should I not miss?',
        'Can you plan a relaxed weekend in Lisbon for two people who like food and walking?',
      ],
    },
    {
      title: 'Sourdough Starter Troubleshooting',
      label: 'sourdough',
      subject: 'a sluggish sourdough starter',
      tech: 'baking',
      terms: ['the feeding ratio', 'water temperature', 'whole rye flour', 'hooch', 'the float test'],
      asks: [
        'My sourdough starter is two weeks old and still barely rises. What am I doing wrong?',
        'How often should I feed a starter that lives in the fridge?',
      ],
    },
    {
      title: 'Running Totals in Excel',
      label: 'excel running total',
      subject: 'running totals in a spreadsheet',
      tech: 'Excel',
      terms: ['SUMIFS', 'absolute references', 'structured tables', 'SCAN', 'date criteria'],
      asks: [
        'How do I add a running total per category to an Excel table of expenses?',
        'Is there a formula that keeps a running balance even when I sort the rows?',
      ],
      code: ['sumifs', 'scan'],
    },
    {
      title: 'Renaming Photos by Capture Date',
      label: 'photo rename script',
      subject: 'renaming photos by the date they were taken',
      tech: 'a shell script',
      terms: ['EXIF data', 'exiftool', 'name collisions', 'a dry run', 'time zones'],
      asks: [
        'I have 4,000 photos named IMG_xxxx. Can you write a script that renames them by capture date?',
        'How can I sort photos from three different phones into one folder by date taken?',
      ],
      code: ['photos'],
    },
    {
      title: 'Compound Interest Explained',
      label: 'compound interest',
      subject: 'compound interest',
      tech: 'personal finance',
      terms: ['the compounding frequency', 'the rule of 72', 'inflation', 'index funds', 'fees'],
      asks: [
        'Can you explain compound interest like I am 15, with a real example?',
        'If I save 200 a month for 20 years at 5%, how much would I have?',
      ],
    },
    {
      title: 'Choosing an E-Bike for Commuting',
      label: 'ebike',
      subject: 'choosing an e-bike for a 12 km commute',
      tech: 'commuting',
      terms: ['mid-drive motors', 'battery range', 'hub gears', 'weight', 'maintenance costs'],
      asks: [
        'I want to commute 12 km each way by e-bike, with one big hill. What should I look for?',
        'Mid-drive or hub motor for a city commute?',
      ],
    },
    {
      title: 'Spanish Past Tenses',
      label: 'spanish',
      subject: 'the preterite and the imperfect',
      tech: 'Spanish',
      terms: ['completed actions', 'habits in the past', 'background descriptions', 'trigger words', 'irregular verbs'],
      asks: [
        'When do I use the preterite and when the imperfect in Spanish? I always mix them up.',
        'Can you give me ten practice sentences for pretérito vs imperfecto?',
      ],
    },
    {
      title: 'Fixing a Dripping Kitchen Faucet',
      label: 'faucet',
      subject: 'a dripping single-handle faucet',
      tech: 'home repair',
      terms: ['the cartridge', 'O-rings', 'the shut-off valves', 'limescale', 'the right replacement part'],
      asks: [
        'My kitchen faucet drips even when fully closed. Can I fix it myself?',
        'How do I find the right cartridge for a single-handle mixer tap?',
      ],
    },
    {
      title: 'Better Sleep Habits',
      label: 'sleep',
      subject: 'improving sleep',
      tech: 'health',
      terms: ['a fixed wake-up time', 'caffeine timing', 'light exposure', 'screen time', 'the bedroom temperature'],
      asks: [
        'I fall asleep fine but wake up at 4am every night. Any evidence-based tips?',
        'Summarize the most useful sleep hygiene advice in a short list.',
      ],
    },
  ],
  Scientist: [
    {
      title: 'A/B Test Significance and Power',
      label: 'ab test power',
      subject: 'the power of an A/B test',
      tech: 'statistics',
      terms: ['the minimum detectable effect', 'sample size', 'p-values', 'peeking', 'Bayesian alternatives'],
      asks: [
        'How many users do I need per variant to detect a 2% lift in conversion with 80% power?',
        'Our A/B test shows p = 0.06 after one week. Can we just run it longer?',
      ],
      code: ['power', 'tTest'],
    },
    {
      title: 'CRISPR Off-Target Effects',
      label: 'crispr review notes',
      subject: 'off-target effects of CRISPR-Cas9',
      tech: 'genome editing',
      terms: ['guide RNA design', 'high-fidelity Cas9 variants', 'GUIDE-seq', 'base editors', 'mismatch tolerance'],
      asks: [
        'Summarize the main strategies to reduce CRISPR-Cas9 off-target effects, for a grant background section.',
        'How are off-target edits detected experimentally, and how reliable are the in-silico predictions?',
      ],
    },
    {
      title: 'Linear Regression Assumptions',
      label: 'regression check',
      subject: 'the assumptions of linear regression',
      tech: 'statistics',
      terms: ['homoscedasticity', 'residual plots', 'multicollinearity', 'the normality of residuals', 'outliers'],
      asks: [
        'Which assumptions of linear regression actually matter in practice, and how do I check them?',
        'My residuals fan out as the fitted values grow. What does that mean?',
      ],
      code: ['residuals'],
    },
    {
      title: 'Intuition for the Fourier Transform',
      label: 'fourier',
      subject: 'the Fourier transform',
      tech: 'signal processing',
      terms: ['frequency components', 'the Nyquist rate', 'windowing', 'spectral leakage', 'the FFT'],
      asks: [
        'Can you give me an intuitive explanation of the Fourier transform, with a small numerical example?',
        'Why do I see leakage in my FFT spectrum, and what does a window function do?',
      ],
      code: ['fft'],
    },
    {
      title: 'Climate Sensitivity Estimates',
      label: 'ECS',
      subject: 'equilibrium climate sensitivity',
      tech: 'climate science',
      terms: ['feedbacks', 'the likely range', 'paleoclimate evidence', 'cloud feedbacks', 'transient response'],
      asks: [
        'What is equilibrium climate sensitivity, and why has its likely range narrowed?',
        'Explain the difference between transient and equilibrium climate response for a general audience.',
      ],
    },
    {
      title: 'Protein Structure Prediction',
      label: 'alphafold',
      subject: 'protein structure prediction with AlphaFold',
      tech: 'structural biology',
      terms: [
        'pLDDT scores',
        'multiple sequence alignments',
        'disordered regions',
        'complexes',
        'experimental validation',
      ],
      asks: [
        'How far can I trust an AlphaFold model of a protein with no known homologs?',
        'What do the pLDDT and PAE plots tell me about a predicted structure?',
      ],
    },
  ],
  Catalyst: [
    {
      title: 'Launch Plan for a Developer Tool',
      label: 'launch plan',
      subject: 'launching a developer tool',
      tech: 'go-to-market',
      terms: ['Hacker News', 'a waitlist', 'the docs', 'a demo video', 'early adopters'],
      asks: [
        'We launch our open-source CLI in three weeks. Give me a launch plan that does not feel like marketing.',
        'What should a launch-day checklist for a developer tool contain?',
      ],
    },
    {
      title: 'Landing Page Headline Ideas',
      label: 'headlines!!',
      subject: 'landing page headlines',
      tech: 'copywriting',
      terms: ['the value proposition', 'social proof', 'a clear call to action', 'A/B testing headlines', 'jargon'],
      asks: [
        'Give me 10 headline options for a landing page of an app that turns meeting notes into tasks.',
        'Our landing page converts at 1.1%. What would you change first?',
      ],
    },
    {
      title: 'Growth Loops for a Newsletter',
      label: 'newsletter growth',
      subject: 'growing a newsletter',
      tech: 'growth',
      terms: ['referral programs', 'cross-promotions', 'the welcome email', 'open rates', 'lead magnets'],
      asks: [
        'My newsletter is stuck at 1,800 subscribers. What growth loops could work?',
        'How do referral programs for newsletters actually perform?',
      ],
    },
    {
      title: 'SaaS Pricing Tiers',
      label: 'pricing',
      subject: 'pricing tiers for a SaaS product',
      tech: 'pricing',
      terms: ['usage-based pricing', 'a free tier', 'annual discounts', 'the value metric', 'anchoring'],
      asks: [
        'We have one plan at 29/month. Should we introduce tiers, and how would you split features?',
        'Is a free tier a good idea for a B2B tool with a small team behind it?',
      ],
    },
    {
      title: 'Building a Community on Discord',
      label: 'discord community',
      subject: 'building a community on Discord',
      tech: 'community',
      terms: ['onboarding channels', 'moderation', 'weekly rituals', 'power users', 'office hours'],
      asks: [
        'We opened a Discord server for our users and it is a ghost town. How do we get it going?',
        'What channels should a product community on Discord start with?',
      ],
    },
  ],
  Executive: [
    {
      title: 'Quarterly Board Update Draft',
      label: 'Q3 board update',
      subject: 'the quarterly board update',
      tech: 'board communication',
      terms: ['the key metrics', 'the runway', 'risks and mitigations', 'the asks', 'the hiring plan'],
      asks: [
        'Draft the structure of a quarterly board update for a 40-person startup that missed its revenue target.',
        'How do I present a missed quarter to the board without sounding defensive?',
      ],
    },
    {
      title: 'Engineering Hiring Plan',
      label: 'hiring plan',
      subject: 'an engineering hiring plan',
      tech: 'hiring',
      terms: ['the interview loop', 'senior vs junior mix', 'time to hire', 'the onboarding plan', 'the budget'],
      asks: [
        'We need to grow engineering from 12 to 20 people this year. Help me draft a hiring plan.',
        'What does a fair and fast interview loop for senior engineers look like?',
      ],
    },
    {
      title: 'OKRs for the Platform Team',
      label: 'platform OKRs',
      subject: 'OKRs for a platform team',
      tech: 'planning',
      terms: [
        'measurable key results',
        'developer experience',
        'reliability targets',
        'adoption',
        'quarterly check-ins',
      ],
      asks: [
        'Can you propose OKRs for an internal platform team whose customers are other engineers?',
        'Our OKRs read like a task list. How do I rewrite them as outcomes?',
      ],
    },
    {
      title: 'Vendor Contract Negotiation Email',
      label: 'vendor email',
      subject: 'the vendor renewal negotiation',
      tech: 'negotiation',
      terms: ['the renewal date', 'a multi-year discount', 'usage data', 'alternatives', 'the tone'],
      asks: [
        'Our analytics vendor wants a 35% increase at renewal. Draft a firm but friendly reply.',
        'What leverage do we have when a vendor raises prices at renewal?',
      ],
    },
    {
      title: 'Communicating a Reorganization',
      label: 'reorg comms',
      subject: 'communicating a reorganization',
      tech: 'leadership',
      terms: ['the rationale', 'the timeline', 'one-on-ones', 'the FAQ', 'the managers briefing'],
      asks: [
        'We are merging two teams next month. How should I announce it, and in what order?',
        'Write a short announcement email for a team reorganization that keeps people calm.',
      ],
    },
  ],
}

const SYSTEM_PROMPTS: Readonly<Record<SeedPurposeId, string>> = {
  Generic:
    'You are ChatGPT, a large language model trained by OpenAI, based on the GPT-4 architecture.\nKnowledge cutoff: 2021-09\nCurrent date: ⟨date⟩',
  Developer: 'You are a sophisticated, accurate, and modern AI programming assistant',
  Scientist:
    "You are a scientist's assistant. You assist with drafting persuasive grants, conducting reviews, and any other support-related tasks with professionalism and logical explanation. Focus on evidence-based information, emphasize data analysis, and promote curiosity and open-mindedness.",
  Catalyst:
    'You are a marketing extraordinaire for a booming startup fusing creativity, data-smarts, and digital prowess to skyrocket growth & wow audiences. So fun. Much meme. 🚀🎯💡',
  Executive:
    'You are an AI corporate assistant. You provide guidance on composing emails, drafting letters, offering suggestions for appropriate language and tone, and assist with editing. You are concise.\nCurrent date: ⟨date⟩',
}

const INTROS = [
  'Good question. ⟨Subject⟩ looks simple, but a few details decide whether it holds up.',
  'Here is how I would approach ⟨subject⟩.',
  'Short answer: yes, and the cleanest way is to keep ⟨term⟩ separate from the rest.',
  'There are two common ways to handle ⟨subject⟩, and which one fits depends mostly on ⟨term⟩.',
  "Let's break ⟨subject⟩ down into smaller pieces.",
  'Sure! Below is a practical take on ⟨subject⟩, with the trade-offs spelled out.',
  "You're on the right track; the part that usually causes trouble is ⟨term⟩.",
  "Happy to help with ⟨subject⟩. I'll start with the idea, then the details.",
  'That makes sense. With ⟨term⟩ in the picture, the answer changes a little.',
  'Great follow-up. ⟨Term⟩ is exactly where most people get stuck.',
]

const PARAGRAPHS = [
  'In practice, ⟨term⟩ matters more than it seems: it decides how ⟨subject⟩ behaves when things go wrong, not only when they go right.',
  'A common mistake is to treat ⟨term⟩ and ⟨term2⟩ as the same thing. They overlap, but mixing them up leads to decisions that are hard to undo later.',
  'If you only remember one thing, make it this: get ⟨term⟩ right, and most of the rest follows.',
  'It is worth noting that advice on ⟨subject⟩ has changed over the last couple of years, so older answers you find online may be out of date.',
  'The trade-off is simple: more attention to ⟨term⟩ means more safety, but also more work up front. For a first version, lean towards simple.',
  'Keep in mind that there is no single right answer here. What works for one setup can be overkill for another, so treat the following as a starting point rather than a rule.',
  'One more nuance: ⟨term2⟩ interacts with ⟨term⟩ in ways that are easy to miss until you see them side by side.',
  'From experience, the teams that do this well write down their choices about ⟨term⟩, so that the next person does not have to rediscover them.',
]

const STEPS = [
  '**Measure first.** Get a baseline before changing anything, so you can tell whether the change helped.',
  'Write down your assumptions about ⟨term⟩; most surprises come from one nobody stated.',
  'Start with the smallest version that works, then add ⟨term⟩ once the basics are solid.',
  'Check the edge cases: empty input, very large input, and ⟨term⟩.',
  'Keep ⟨term⟩ in one place, so that a later change touches a single spot.',
  'Decide up front how you will know it worked: a number, a test, or a clear yes/no.',
  'Compare the result against ⟨term2⟩ and adjust where they disagree.',
  'Automate the repetitive part; doing it by hand is where mistakes creep in.',
  'Review it with fresh eyes the next day, or ask someone else to read it.',
  '**Look at ⟨term⟩.** It is usually the first thing to revisit when the result is off.',
  'Set a time box of ⟨n⟩ hours for the first attempt, then reassess.',
]

const BULLETS = [
  '**Performance:** ⟨term⟩ is rarely the bottleneck at first; measure before optimizing.',
  '**Readability:** a slightly longer version that a colleague understands beats a clever one.',
  '**Risk:** the main risk is ⟨term⟩, so have a way back if it goes wrong.',
  '**Time:** budget about ⟨n⟩ hours for the first pass.',
  '**Alternatives:** ⟨term2⟩ is a reasonable option if ⟨term⟩ does not fit your case.',
  '**Maintenance:** document why you chose ⟨term⟩, not only what you did.',
  '**Testing:** cover ⟨term⟩ with at least one check that fails when it breaks.',
  '**Cost:** the cheapest option up front is not always the cheapest after a year.',
  '**People:** whoever maintains this later needs to understand ⟨term⟩ too.',
]

const HEADINGS = ['### Steps', '### How to do it', '### A plan', '### What to check', '### In practice']
const BULLET_HEADINGS = ['### Things to keep in mind', '### Trade-offs', '### Watch out for', '### Summary']

const CODE_INTROS = [
  'Here is a minimal example:',
  'Something like this:',
  'A version you can paste and adapt:',
  'For example, with ⟨tech⟩:',
  'Putting it together:',
]

const CODE_OUTROS = [
  'The important part is how it handles ⟨term⟩; everything else is scaffolding.',
  'Adjust the names to your codebase; the structure is what matters.',
  'Run it on a small sample first to check the output before pointing it at everything.',
  'If ⟨term⟩ is not a concern for you, you can drop the corresponding lines.',
]

const CLOSINGS = [
  'Let me know if you want me to go deeper into ⟨term⟩.',
  'If you share more about your setup, I can tailor this further.',
  'Want a shorter version, or one that also covers ⟨term2⟩?',
  'Hope that helps!',
  'Does this match what you had in mind?',
  'Happy to review your next draft if you paste it here.',
]

const FOLLOW_UPS = [
  'Thanks! What about ⟨term⟩?',
  'Can you explain ⟨term⟩ in more detail?',
  "That's a bit long. Can you give me a shorter version?",
  'How would this change if ⟨condition⟩?',
  "I tried that, but I'm getting this: `⟨error⟩`",
  'Great, that worked. One more thing: how do I check ⟨term⟩?',
  'Can you put the options in a table?',
  'Why ⟨term⟩ and not ⟨term2⟩?',
  'ok, and what is the most common mistake people make with ⟨subject⟩?',
  'Perfect. Can you turn this into a checklist I can reuse?',
  'Hmm, I am not sure about ⟨term⟩. Is there a simpler way?',
  'Could you compare ⟨term⟩ and ⟨term2⟩ briefly?',
]

const CONDITIONS = [
  'we had ten times more data',
  'the team is only two people',
  'it had to work on a phone',
  'the deadline is next Friday',
  'the budget was cut in half',
  'we cannot change the existing setup',
]

const GENERIC_ERRORS = [
  'permission denied',
  "TypeError: Cannot read properties of undefined (reading 'map')",
  'it works locally but not in production',
]

const TABLE_PROS = ['simple to set up', 'well documented', 'fast', 'cheap to run', 'flexible', 'widely used']
const TABLE_CONS = ['harder to change later', 'more moving parts', 'slower at scale', 'needs discipline', 'costly']

/** Code the answers (and pasting users) show, by name: a language, and a template of ⟨placeholders⟩. */
const SNIPPETS = {
  groupBy: {
    language: 'ts',
    code: `export function group⟨Names⟩By⟨Field⟩(⟨names⟩: ⟨Name⟩[]): Map<string, ⟨Name⟩[]> {
  const groups = new Map<string, ⟨Name⟩[]>()
  for (const ⟨name⟩ of ⟨names⟩) {
    const key = String(⟨name⟩.⟨field⟩)
    const list = groups.get(key)
    if (list) list.push(⟨name⟩)
    else groups.set(key, [⟨name⟩])
  }
  return groups
}`,
  },
  events: {
    language: 'ts',
    code: `type ⟨Name⟩Event =
  | { kind: 'created'; id: string; at: number }
  | { kind: 'updated'; id: string; changes: Partial<⟨Name⟩> }
  | { kind: 'deleted'; id: string }

function describe(event: ⟨Name⟩Event): string {
  switch (event.kind) {
    case 'created':
      return '⟨name⟩ ' + event.id + ' created'
    case 'updated':
      return '⟨name⟩ ' + event.id + ' changed: ' + Object.keys(event.changes).join(', ')
    case 'deleted':
      return '⟨name⟩ ' + event.id + ' deleted'
    default: {
      // Adding a kind without handling it here is now a compile error.
      const unreachable: never = event
      return unreachable
    }
  }
}`,
  },
  retry: {
    language: 'ts',
    code: `export async function withRetry<T>(task: () => Promise<T>, attempts = ⟨n⟩): Promise<T> {
  let lastError: unknown
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await task()
    } catch (error) {
      lastError = error
      if (!isRetryable(error)) break
      const delay = Math.min(2 ** attempt * 200, 5_000) * (0.5 + Math.random() / 2)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
  throw lastError
}

const isRetryable = (error: unknown): boolean =>
  error instanceof TypeError || (error instanceof HttpError && [429, 502, 503, 504].includes(error.status))`,
  },
  debounce: {
    language: 'tsx',
    code: `export function ⟨Name⟩Search({ onSearch }: { onSearch: (query: string) => void }) {
  const [query, setQuery] = useState('')

  useEffect(() => {
    const trimmed = query.trim()
    if (!trimmed) return
    const timer = setTimeout(() => onSearch(trimmed), ⟨ms⟩)
    return () => clearTimeout(timer) // the cleanup cancels the pending call on every keystroke
  }, [query, onSearch])

  return <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search ⟨names⟩..." />
}`,
  },
  debounceHook: {
    language: 'ts',
    code: `export function useDebouncedValue<T>(value: T, delay = ⟨ms⟩): T {
  const [debounced, setDebounced] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay)
    return () => clearTimeout(timer)
  }, [value, delay])
  return debounced
}`,
  },
  pipeline: {
    language: 'js',
    code: `import { pipeline } from 'node:stream/promises'
import { createReadStream, createWriteStream } from 'node:fs'
import { Transform } from 'node:stream'

const toUpper = new Transform({
  transform(chunk, _encoding, callback) {
    callback(null, chunk.toString().toUpperCase())
  },
})

// pipeline() propagates backpressure and errors, and closes every stream at the end
await pipeline(createReadStream('⟨names⟩.csv'), toUpper, createWriteStream('⟨names⟩-upper.csv'))`,
  },
  taskGroup: {
    language: 'python',
    code: `import asyncio

import httpx


async def fetch_all(urls: list[str], limit: int = ⟨n⟩) -> list[int]:
    semaphore = asyncio.Semaphore(limit)
    async with httpx.AsyncClient(timeout=10) as client:

        async def fetch(url: str) -> int:
            async with semaphore:
                response = await client.get(url)
                return response.status_code

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(url)) for url in urls]
    return [task.result() for task in tasks]`,
  },
  tTest: {
    language: 'python',
    code: `import numpy as np
from scipy import stats

rng = np.random.default_rng(⟨n⟩)
control = rng.normal(loc=0.0, scale=1.0, size=⟨size⟩)
treatment = rng.normal(loc=0.2, scale=1.0, size=⟨size⟩)

t, p = stats.ttest_ind(treatment, control, equal_var=False)
pooled = np.sqrt((treatment.var(ddof=1) + control.var(ddof=1)) / 2)
d = (treatment.mean() - control.mean()) / pooled
print(f"t={t:.2f}  p={p:.4f}  d={d:.2f}")`,
  },
  power: {
    language: 'python',
    code: `from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

baseline = 0.10
target = baseline * 1.02  # a 2% relative lift
effect = proportion_effectsize(target, baseline)

n = NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8, ratio=1.0)
print(f"{n:,.0f} users per variant")`,
  },
  residuals: {
    language: 'python',
    code: `import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan

X = sm.add_constant(df[["⟨column⟩", "age", "income"]])
model = sm.OLS(df["score"], X).fit()
print(model.summary())

# Residuals that fan out with the fitted values: heteroscedasticity
lm, lm_p, f, f_p = het_breuschpagan(model.resid, model.model.exog)
print(f"Breusch-Pagan p = {lm_p:.4f}")
robust = model.get_robustcov_results(cov_type="HC3")`,
  },
  fft: {
    language: 'python',
    code: `import numpy as np

fs = 1000  # samples per second
t = np.arange(0, 1, 1 / fs)
signal = np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 120 * t)

window = np.hanning(len(signal))  # reduces spectral leakage
spectrum = np.abs(np.fft.rfft(signal * window))
freqs = np.fft.rfftfreq(len(signal), 1 / fs)
print(freqs[np.argsort(spectrum)[-2:]])  # the two strongest frequencies: 50 and 120 Hz`,
  },
  explain: {
    language: 'sql',
    code: `EXPLAIN (ANALYZE, BUFFERS)
SELECT id, ⟨column⟩, created_at
FROM ⟨names⟩
WHERE ⟨column⟩ = $1
ORDER BY created_at DESC
LIMIT ⟨n⟩;

-- A sequential scan above? An index on the filter, then the sort, serves both:
CREATE INDEX CONCURRENTLY idx_⟨names⟩_⟨column⟩_created ON ⟨names⟩ (⟨column⟩, created_at DESC);`,
  },
  wal: {
    language: 'sql',
    code: `PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;

-- Take the write lock up front: no deadlock when a reader later wants to write.
BEGIN IMMEDIATE;
UPDATE ⟨names⟩ SET ⟨column⟩ = ?, updated_at = unixepoch() WHERE id = ?;
COMMIT;`,
  },
  borrow: {
    language: 'rust',
    code: `fn longest<'a>(⟨names⟩: &'a [String]) -> Option<&'a str> {
    ⟨names⟩.iter().map(String::as_str).max_by_key(|s| s.len())
}

fn main() {
    let mut ⟨names⟩ = vec![String::from("alpha"), String::from("beta")];
    // Own the result before mutating the vector: the borrow ends here.
    let first = longest(&⟨names⟩).map(str::to_owned);
    ⟨names⟩.push(String::from("gamma"));
    println!("{:?} of {}", first, ⟨names⟩.len());
}`,
  },
  timeout: {
    language: 'go',
    code: `func fetch⟨Names⟩(ctx context.Context, client *http.Client, url string) ([]⟨Name⟩, error) {
	ctx, cancel := context.WithTimeout(ctx, ⟨n⟩*time.Second)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch ⟨names⟩: %w", err)
	}
	defer resp.Body.Close()

	var out []⟨Name⟩
	return out, json.NewDecoder(resp.Body).Decode(&out)
}`,
  },
  photos: {
    language: 'bash',
    code: `#!/usr/bin/env bash
set -euo pipefail

dir="$1"
for photo in "$dir"/*.jpg "$dir"/*.JPG; do
  [ -e "$photo" ] || continue
  taken=$(exiftool -s3 -d '%Y-%m-%d_%H-%M-%S' -DateTimeOriginal "$photo")
  if [ -z "$taken" ]; then echo "skip: $photo (no date)"; continue; fi
  mv -n "$photo" "$dir/$taken.jpg"
done`,
  },
  rebase: {
    language: 'bash',
    code: `git fetch origin
git switch feature/⟨name⟩-⟨column⟩
git rebase origin/main
# fix the conflicts, then:
git add -A && git rebase --continue
git push --force-with-lease`,
  },
  grid: {
    language: 'css',
    code: `.dashboard {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(⟨px⟩px, 1fr));
  grid-auto-rows: minmax(120px, auto);
  gap: 1rem;
}

.dashboard > .wide {
  grid-column: span 2;
}

@media (max-width: 640px) {
  .dashboard > .wide {
    grid-column: auto;
  }
}`,
  },
  dockerfile: {
    language: 'dockerfile',
    code: `FROM node:20-alpine AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-alpine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
USER node
CMD ["node", "dist/server.js"]`,
  },
  sumifs: {
    language: 'excel',
    code: `=SUMIFS([Amount], [Category], [@Category], [Date], "<=" & [@Date])`,
  },
  scan: {
    language: 'excel',
    code: `=SCAN(0, C2:C⟨size⟩, LAMBDA(total, value, total + value))`,
  },
} as const satisfies Record<string, { language: string; code: string }>

type SnippetName = keyof typeof SNIPPETS

const CODE_NAMES = ['order', 'invoice', 'session', 'ticket', 'payment', 'device', 'booking', 'article', 'report']
const CODE_FIELDS: readonly (readonly [camel: string, snake: string])[] = [
  ['status', 'status'],
  ['ownerId', 'owner_id'],
  ['priority', 'priority'],
  ['region', 'region'],
  ['customerId', 'customer_id'],
]

const FENCE = '```'

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

/** `template` with each ⟨key⟩ replaced by `words[key]`; an unknown key stays, visibly. */
function fill(template: string, words: Readonly<Record<string, string>>): string {
  return template.replace(/⟨(\w+)⟩/g, (match, key: string) => words[key] ?? match)
}

/** The words of one sentence: the topic's, with two of its terms drawn for this sentence. */
function wordsOf(r: Random, topic: Topic): Record<string, string> {
  const [term, term2] = r.shuffle(topic.terms) as [string, string]
  return {
    subject: topic.subject,
    Subject: capitalize(topic.subject),
    tech: topic.tech,
    term,
    Term: capitalize(term),
    term2,
    n: String(r.int(2, 8)),
    condition: r.pick(CONDITIONS),
    error: r.pick(topic.errors ?? GENERIC_ERRORS),
  }
}

const say = (r: Random, topic: Topic, templates: readonly string[]): string =>
  fill(r.pick(templates), wordsOf(r, topic))

function codeBlock(r: Random, snippet: SnippetName): string {
  const { language, code: template } = SNIPPETS[snippet]
  const name = r.pick(CODE_NAMES)
  const [field, column] = r.pick(CODE_FIELDS)
  const code = fill(template, {
    name,
    Name: capitalize(name),
    names: `${name}s`,
    Names: capitalize(`${name}s`),
    field,
    Field: capitalize(field),
    column,
    n: String(r.int(3, 20)),
    size: String(r.pick([200, 500, 1000, 2000])),
    ms: String(r.pick([250, 300, 400])),
    px: String(r.pick([220, 260, 280, 320])),
  })
  return `${FENCE}${language}\n${code}\n${FENCE}`
}

function list(r: Random, topic: Topic, templates: readonly string[], count: number, ordered: boolean): string {
  return r
    .shuffle(templates)
    .slice(0, count)
    .map((template, i) => `${ordered ? `${i + 1}.` : '-'} ${fill(template, wordsOf(r, topic))}`)
    .join('\n')
}

function table(r: Random, topic: Topic): string {
  const rows = r
    .shuffle(topic.terms)
    .slice(0, r.int(3, 4))
    .map((term) => `| ${capitalize(term)} | ${r.pick(TABLE_PROS)} | ${r.pick(TABLE_CONS)} |`)
  return ['| Option | Pros | Cons |', '| --- | --- | --- |', ...rows].join('\n')
}

/** An answer in markdown: a few hundred characters (short) to a few thousand (long). */
function assistantText(r: Random, topic: Topic): string {
  const size = r.pick(['short', 'medium', 'medium', 'long', 'long'] as const)
  const code = topic.code !== undefined && r.chance(size === 'short' ? 0.25 : 0.85) ? topic.code : undefined
  const blocks = [say(r, topic, INTROS)]
  blocks.push(say(r, topic, PARAGRAPHS))
  if (size === 'long') {
    blocks.push(say(r, topic, PARAGRAPHS), `${r.pick(HEADINGS)}\n\n${list(r, topic, STEPS, r.int(4, 7), true)}`)
  } else if (size === 'medium' && r.chance(0.7)) blocks.push(list(r, topic, STEPS, r.int(3, 5), true))
  if (code !== undefined) {
    blocks.push(say(r, topic, CODE_INTROS), codeBlock(r, r.pick(code)))
    if (r.chance(0.6)) blocks.push(say(r, topic, CODE_OUTROS))
  }
  if (size === 'long' || (size === 'medium' && r.chance(0.5))) blocks.push(say(r, topic, PARAGRAPHS))
  if (size === 'long' || (size === 'medium' && r.chance(0.6)))
    blocks.push(`${r.pick(BULLET_HEADINGS)}\n\n${list(r, topic, BULLETS, r.int(3, 5), false)}`)
  if (size === 'long' && r.chance(0.6)) blocks.push(table(r, topic))
  if (size === 'long' && code !== undefined && r.chance(0.3)) blocks.push(codeBlock(r, r.pick(code)))
  if (size === 'long') blocks.push(say(r, topic, PARAGRAPHS))
  if (r.chance(0.7)) blocks.push(say(r, topic, CLOSINGS))
  return blocks.join('\n\n')
}

function userText(r: Random, topic: Topic, first: boolean): string {
  const text = first ? r.pick(topic.asks) : say(r, topic, FOLLOW_UPS)
  // Now and then a user pastes what they have.
  if (topic.code !== undefined && r.chance(first ? 0.3 : 0.1))
    return `${text}\n\nHere's what I have so far:\n\n${codeBlock(r, r.pick(topic.code))}`
  return text
}

// ---------------------------------------------------------------------------------------------------------
// Conversations.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Models by the date they were in common use, as `originLLM` names them. */
const MODEL_ERAS: readonly (readonly [until: number, models: readonly string[]])[] = [
  [1_686_614_400_000, ['gpt-3.5-turbo', 'gpt-4', 'gpt-4']],
  [1_699_228_800_000, ['gpt-3.5-turbo-0613', 'gpt-4-0613', 'claude-2']],
  [1_712_620_800_000, ['gpt-4-1106-preview', 'gpt-4-0125-preview', 'claude-3-opus-20240229', 'mistral-medium']],
  [Infinity, ['gpt-4-turbo-2024-04-09', 'gpt-4o', 'claude-3-5-sonnet-20240620', 'llama-3-70b-instruct']],
]

const modelAt = (r: Random, time: number): string =>
  r.pick((MODEL_ERAS.find(([until]) => time < until) ?? MODEL_ERAS[MODEL_ERAS.length - 1]!)[1])

/** About four characters a token, as the app's estimate for text. */
const tokensOf = (text: string): number => Math.max(1, Math.round(text.length / 4))

function message(
  r: Random,
  role: DMessageRole,
  text: string,
  created: number,
  extra: Partial<LegacyV3Message> = {},
): LegacyV3Message {
  const { purposeId, originLLM, ...rest } = extra
  return {
    id: r.uuid(),
    text,
    sender: role === 'user' ? 'You' : 'Bot',
    avatar: null,
    typing: false,
    role,
    ...(purposeId === undefined ? {} : { purposeId }),
    ...(originLLM === undefined ? {} : { originLLM }),
    tokenCount: tokensOf(text),
    created,
    updated: null,
    ...rest,
  }
}

const PURPOSE_WEIGHTS: readonly SeedPurposeId[] = [
  ...Array<SeedPurposeId>(7).fill('Generic'),
  ...Array<SeedPurposeId>(6).fill('Developer'),
  ...Array<SeedPurposeId>(3).fill('Scientist'),
  ...Array<SeedPurposeId>(2).fill('Catalyst'),
  ...Array<SeedPurposeId>(2).fill('Executive'),
]

/** One conversation with its own stream: 2 to 30 messages, a few with about 60. */
function conversation(r: Random): LegacyV3Conversation {
  const purpose = r.pick(PURPOSE_WEIGHTS)
  const topic = r.pick(TOPICS[purpose])
  const created = SEED_EPOCH + Math.floor(r.next() * SEED_SPAN_MS)
  const turns = r.chance(0.03) ? r.int(27, 32) : 1 + Math.floor(r.next() ** 1.25 * 15)
  const messages: LegacyV3Message[] = []
  let time = created
  if (r.chance(0.4)) {
    const date = new Date(created).toISOString().slice(0, 10)
    messages.push(message(r, 'system', fill(SYSTEM_PROMPTS[purpose], { date }), time))
  }
  for (let turn = 0; turn < turns; turn++) {
    if (turn > 0) time += r.chance(0.08) ? r.int(HOUR, 3 * DAY) : r.int(20_000, 8 * MINUTE)
    const question = message(r, 'user', userText(r, topic, turn === 0), time)
    const previous = messages[messages.length - 1]
    if (turn > 0 && previous !== undefined && r.chance(0.05)) {
      // The app's reply-to: a quote of the answer above.
      question.metadata = { inReplyToText: previous.text.split('\n')[0]!.slice(0, 120) }
    }
    if (r.chance(0.03)) question.updated = time + r.int(5_000, 2 * MINUTE)
    messages.push(question)
    const text = assistantText(r, topic)
    time += r.int(3_000, 20_000) + text.length * 8
    messages.push(message(r, 'assistant', text, time, { purposeId: purpose, originLLM: modelAt(r, time) }))
  }
  for (const m of messages) if (m.role !== 'system' && r.chance(0.03)) m.userFlags = ['starred']
  const last = messages[messages.length - 1]
  const titles = r.next()
  return {
    id: r.uuid(),
    messages,
    systemPurposeId: purpose,
    ...(titles < 0.25 ? { userTitle: topic.label } : titles < 0.8 ? { autoTitle: topic.title } : {}),
    tokenCount: messages.reduce((sum, m) => sum + (m.tokenCount ?? 0), 0),
    created,
    updated: last === undefined ? created : (last.updated ?? last.created),
  }
}

/** Applies {@link SEED_MESS} to conversations picked by `r` (each to a different one); returns the picks. */
function makeMessy(r: Random, conversations: LegacyV3Conversation[]): { empty: Set<number>; duplicate: Set<number> } {
  const order = r.shuffle(conversations.map((_, i) => i))
  const take = (count: number): number[] => order.splice(0, count)
  const empty = new Set(take(SEED_MESS.emptyConversations))
  for (const i of empty) {
    const c = conversations[i]!
    // A "new chat" that was never used: no messages, no title.
    conversations[i] = {
      id: c.id,
      messages: [],
      systemPurposeId: c.systemPurposeId,
      tokenCount: 0,
      created: c.created,
      updated: c.created,
    }
  }
  const duplicate = new Set<number>()
  for (let d = 0; d < SEED_MESS.duplicateIds && order.length >= 2; d++) {
    const [a, b] = take(2) as [number, number]
    // The later one in the list repeats the id of the earlier one.
    conversations[Math.max(a, b)]!.id = conversations[Math.min(a, b)]!.id
    duplicate.add(Math.max(a, b))
  }
  for (const i of take(SEED_MESS.typingMessages)) {
    const last = conversations[i]!.messages.at(-1)!
    // An answer cut off mid-stream: the tab closed while it was typing.
    last.text = last.text.slice(0, Math.max(20, Math.floor(last.text.length * 0.4)))
    last.tokenCount = tokensOf(last.text)
    last.typing = true
  }
  for (const i of take(SEED_MESS.missingTokenCounts)) delete r.pick(conversations[i]!.messages).tokenCount
  for (const i of take(SEED_MESS.abortControllers)) conversations[i]!['abortController'] = null
  for (const i of take(SEED_MESS.ephemerals)) conversations[i]!['ephemerals'] = []
  for (const i of take(SEED_MESS.unknownKeys)) conversations[i]![SEED_UNKNOWN_KEY] = conversations[i]!.updated
  return { empty, duplicate }
}

// ---------------------------------------------------------------------------------------------------------
// The localStorage stores.

/** The folder a conversation of each persona goes to by preference, if the seed made it. */
const FOLDER_OF: Readonly<Record<SeedPurposeId, readonly string[]>> = {
  Developer: ['Work', 'Side projects', 'Learning'],
  Scientist: ['Research', 'Learning'],
  Catalyst: ['Side projects', 'Work'],
  Executive: ['Work'],
  Generic: ['Personal', 'Travel', 'Recipes', 'Learning'],
}

/** 5 to 7 folders holding about 40% of the conversations, one of them collapsed, and one link to a gone chat. */
function folders(r: Random, conversations: readonly LegacyV3Conversation[], eligible: readonly number[]) {
  const titles = SEED_FOLDER_TITLES.slice(0, r.int(5, 7))
  const list: DFolder[] = titles.map((title, i) => ({
    id: r.uuid(),
    title,
    conversationIds: [],
    color: FOLDERS_COLOR_PALETTE[i === 6 ? 13 : i] as string,
  }))
  const byTitle = new Map(list.map((folder) => [folder.title, folder]))
  const filed = r.shuffle(eligible).slice(0, Math.round(eligible.length * 0.4))
  // Oldest first: the order they were filed in.
  for (const i of filed.sort((a, b) => b - a)) {
    const c = conversations[i]!
    const preferred = (FOLDER_OF[c.systemPurposeId as SeedPurposeId] ?? []).filter((title) => byTitle.has(title))
    const folder = preferred.length > 0 && r.chance(0.85) ? byTitle.get(r.pick(preferred))! : r.pick(list)
    folder.conversationIds.push(c.id)
  }
  // A conversation deleted later: the app does not remove it from its folder.
  for (let d = 0; d < SEED_MESS.danglingFolderLinks; d++) {
    const folder = list[0]!
    folder.conversationIds.splice(r.int(0, folder.conversationIds.length), 0, r.uuid())
  }
  list[list.length - 1]!.isCollapsed = true
  return { folders: list, enableFolders: true }
}

/** The workspace's live files of a few conversations (live file ids: nanoid). */
function workspace(r: Random, conversations: readonly LegacyV3Conversation[], eligible: readonly number[]) {
  const liveFilesByWorkspace: Record<WorkspaceId, string[]> = {}
  for (const i of r.shuffle(eligible).slice(0, Math.min(4, eligible.length)))
    liveFilesByWorkspace[conversations[i]!.id] = Array.from({ length: r.int(1, 3) }, () => r.nanoid(21))
  return { liveFilesByWorkspace }
}

/** $ per million tokens, input and output, by model prefix; `null`: the app had no price for it. */
const PRICES: readonly (readonly [prefix: string, price: readonly [number, number] | null])[] = [
  ['gpt-3.5', [0.5, 1.5]],
  ['gpt-4o', [5, 15]],
  ['gpt-4-turbo', [10, 30]],
  ['gpt-4-1106', [10, 30]],
  ['gpt-4-0125', [10, 30]],
  ['gpt-4', [30, 60]],
  ['claude-2', [8, 24]],
  ['claude-3-opus', [15, 75]],
  ['claude-3-5-sonnet', [3, 15]],
  ['mistral', [2.7, 8.1]],
  ['llama', null],
]

const serviceOf = (model: string): string =>
  model.startsWith('gpt') ? 'openai' : model.startsWith('claude') ? 'anthropic' : 'openrouter'

/** The service metrics of the seeded answers: input is the conversation so far, output the answer. */
function metrics(conversations: readonly LegacyV3Conversation[]) {
  const services = new Map<string, ServiceMetricsAggregate>()
  for (const c of conversations) {
    let context = 0
    for (const m of c.messages) {
      const output = m.tokenCount ?? 0
      if (m.role === 'assistant' && m.originLLM !== undefined) {
        const service = serviceOf(m.originLLM)
        const s = services.get(service) ?? {
          totalCosts: 0,
          totalSavings: 0,
          totalInputTokens: 0,
          totalOutputTokens: 0,
          usageCount: 0,
          firstUsageDate: m.created,
          lastUsageDate: m.created,
          freeUsages: 0,
          noPricingUsages: 0,
          noTokenUsages: 0,
          partialMessageUsages: 0,
          partialPriceUsages: 0,
        }
        const price = PRICES.find(([prefix]) => m.originLLM!.startsWith(prefix))?.[1]
        if (price) s.totalCosts += (context * price[0] + output * price[1]) / 1e6
        else s.noPricingUsages++
        if (m.typing) s.partialMessageUsages++
        s.totalInputTokens += context
        s.totalOutputTokens += output
        s.usageCount++
        s.firstUsageDate = Math.min(s.firstUsageDate, m.created)
        s.lastUsageDate = Math.max(s.lastUsageDate, m.created)
        services.set(service, s)
      }
      context += output
    }
  }
  const serviceMetrics: Record<string, Partial<ServiceMetricsAggregate>> = {}
  for (const [service, s] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    // Costs in whole cents' hundredths, as a JSON float would round them anyway.
    const aggregate: Partial<ServiceMetricsAggregate> = { ...s, totalCosts: Math.round(s.totalCosts * 1e4) / 1e4 }
    // Older builds of the app did not count these yet.
    if (service === 'openrouter') {
      delete aggregate.noTokenUsages
      delete aggregate.partialPriceUsages
    }
    serviceMetrics[service] = aggregate
  }
  return { serviceMetrics }
}

/** The UI settings of a version-1 build, with keys that build had and the current one dropped. */
const UI_V1 = {
  preferredLanguage: 'en-US',
  centerMode: 'wide',
  complexityMode: 'pro',
  contentScaling: 'md',
  doubleClickToEdit: true,
  enterIsNewline: false,
  renderCodeLineNumbers: false,
  renderCodeSoftWrap: true,
  showPersonaFinder: false,
  composerQuickButton: 'beam',
  dismissals: { 'translation-warning': true },
  actionCounters: { 'beam-wizard': 2, 'composer-shift-enter': 14, 'share-chat-link': 1 },
  // Stale: replaced (renderMarkdown by disableMarkdown) or removed, yet kept by persist's shallow merge.
  renderMarkdown: true,
  zenMode: 'clean',
  showSystemMessages: false,
  goofyLabs: false,
}

/** The flat flags of a big-AGI 2.0 build (`app-ux-labs` version 1; this package's legacy path is at 2). */
const LABS_V1 = {
  labsAttachScreenCapture: true,
  labsCameraDesktop: false,
  labsChatBarAlt: false,
  labsEnhanceCodeBlocks: true,
  labsHighPerformance: false,
  labsShowCost: true,
  labsAutoHideComposer: false,
  labsShowShortcutBar: true,
  labsDevMode: false,
}

/** `deviceGetGlobalDeviceId()`'s format: 6 nanoid characters and the last 4 of the time in base 36. */
const deviceId = (r: Random): string =>
  r.nanoid(6) + (SEED_EPOCH + Math.floor(r.next() * SEED_SPAN_MS)).toString(36).slice(-4)

const envelope = (state: unknown, version: number): string => JSON.stringify({ state, version })

/**
 * The legacy data of a big-AGI user, as the example app seeds it on its first start: `app-chats` in
 * IndexedDB at version 3 (text messages), and the other stores in localStorage at their legacy versions
 * ({@link SEED_VERSIONS}), each the `{"state":...,"version":N}` text Zustand's `persist` writes. The
 * conversations (UUID ids, newest first) span about 18 months from {@link SEED_EPOCH}, across
 * {@link SEED_PURPOSES}, with markdown answers and code; the data is messy as real stores are
 * ({@link SEED_MESS}) and everything imports. The same options always give the same strings; the default
 * 300 conversations are about 4 MB of JSON.
 *
 * Throws a RangeError for a `conversations` that is not a non-negative integer or a `seed` that is not an
 * integer.
 *
 * @example
 * ```ts
 * const seed = legacySeed()
 * for (const [key, value] of Object.entries(seed.localStorage)) localStorage.setItem(key, value)
 * for (const [key, value] of Object.entries(seed.indexedDB)) await idbSet(key, value)
 * ```
 */
export function legacySeed(options: LegacySeedOptions = {}): LegacySeed {
  const { conversations: count, seed } = { ...SEED_DEFAULTS, ...options }
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`legacySeed: conversations must be a non-negative integer, got ${count}`)
  if (!Number.isSafeInteger(seed)) throw new RangeError(`legacySeed: seed must be an integer, got ${seed}`)

  const conversations = Array.from({ length: count }, (_, i) => conversation(stream(seed, `conversation ${i}`)))
  // The drawer's order: new chats are prepended.
  conversations.sort((a, b) => b.created - a.created)
  const { empty, duplicate } = makeMessy(stream(seed, 'mess'), conversations)
  const eligible = conversations.map((_, i) => i).filter((i) => !empty.has(i) && !duplicate.has(i))

  return {
    indexedDB: { 'app-chats': envelope({ conversations }, SEED_VERSIONS['app-chats']) },
    localStorage: {
      'app-ui': envelope(UI_V1, SEED_VERSIONS['app-ui']),
      'app-ux-labs': envelope(LABS_V1, SEED_VERSIONS['app-ux-labs']),
      'app-device': envelope({ localDeviceId: deviceId(stream(seed, 'device')) }, SEED_VERSIONS['app-device']),
      'app-folders': envelope(folders(stream(seed, 'folders'), conversations, eligible), SEED_VERSIONS['app-folders']),
      'app-metrics': envelope(metrics(conversations), SEED_VERSIONS['app-metrics']),
      'agi-client-workspace': envelope(
        workspace(stream(seed, 'workspace'), conversations, eligible),
        SEED_VERSIONS['agi-client-workspace'],
      ),
    },
  }
}
