import type { StateCreator } from 'zustand/vanilla'
import { ZustandSqliteError } from '@zustand-sqlite/core'

/** How wide the chat column is. */
export type CenterMode = 'narrow' | 'wide' | 'full'
/** How much of the interface is shown. */
export type UIComplexityMode = 'minimal' | 'pro' | 'extra'
/** Text and spacing scale of messages. */
export type ContentScaling = 'xs' | 'sm' | 'md'
/** The extra button beside the composer's send button. */
export type ComposerQuickButton = 'off' | 'call' | 'beam'
/** Color scheme: follow the system, or force one. */
export type ThemeMode = 'system' | 'light' | 'dark'

/** Every setting of the UI preferences store: big-AGI's `app-ui`, plus `themeMode`, `fontSize` and `compactMode`. */
export interface UIPreferencesState {
  /** A BCP 47 language tag. @default the browser's language, else `'en-US'` */
  preferredLanguage: string
  /** @default 'full' */
  centerMode: CenterMode
  /** @default 'pro' */
  complexityMode: UIComplexityMode
  /** @default 'sm' */
  contentScaling: ContentScaling
  /** @default false */
  disableMarkdown: boolean
  /** @default false */
  doubleClickToEdit: boolean
  /** Enter inserts a newline (and Shift+Enter sends). @default false */
  enterIsNewline: boolean
  /** @default false */
  messageFullWidth: boolean
  /** @default false */
  renderCodeLineNumbers: boolean
  /** @default false */
  renderCodeSoftWrap: boolean
  /** Deprecated in the app, kept for its stored value. @default false */
  showPersonaFinder: boolean
  /** @default false */
  showModelsFn: boolean
  /** @default true */
  showModelsHidden: boolean
  /** @default false */
  showModelsStarredOnly: boolean
  /** @default true */
  modelsStarredOnTop: boolean
  /** @default 'beam' */
  composerQuickButton: ComposerQuickButton
  /** A developer tool; never persisted. @default false */
  aixInspector: boolean
  /** Notices the user dismissed, by key. @default {} */
  dismissals: Record<string, boolean>
  /** How often the user did something worth counting, by key (`'beam-wizard'`, ...). @default {} */
  actionCounters: Record<string, number>
  /** Collapsed groups of panels, by key. @default {} */
  panelGroupCollapseStates: Record<string, boolean>
  /** @default 'system' */
  themeMode: ThemeMode
  /** Base font size in pixels, 8 to 48. @default 14 */
  fontSize: number
  /** Denser lists and paddings. @default false */
  compactMode: boolean
}

/** What is persisted: everything but `aixInspector`. */
export type PersistedUIPreferences = Omit<UIPreferencesState, 'aixInspector'>

/** The actions of the UI preferences store: one setter per setting, and the app's helpers. */
export interface UIPreferencesActions {
  setPreferredLanguage: (preferredLanguage: string) => void
  setCenterMode: (centerMode: CenterMode) => void
  setComplexityMode: (complexityMode: UIComplexityMode) => void
  setContentScaling: (contentScaling: ContentScaling) => void
  /** One step up: xs, sm, md (stays at md). */
  increaseContentScaling: () => void
  /** One step down: md, sm, xs (stays at xs). */
  decreaseContentScaling: () => void
  setDisableMarkdown: (disableMarkdown: boolean) => void
  setDoubleClickToEdit: (doubleClickToEdit: boolean) => void
  setEnterIsNewline: (enterIsNewline: boolean) => void
  setMessageFullWidth: (messageFullWidth: boolean) => void
  setRenderCodeLineNumbers: (renderCodeLineNumbers: boolean) => void
  setRenderCodeSoftWrap: (renderCodeSoftWrap: boolean) => void
  setShowPersonaFinder: (showPersonaFinder: boolean) => void
  setShowModelsFn: (showModelsFn: boolean) => void
  setShowModelsHidden: (showModelsHidden: boolean) => void
  toggleShowModelsStarredOnly: () => void
  setModelsStarredOnTop: (modelsStarredOnTop: boolean) => void
  setComposerQuickButton: (composerQuickButton: ComposerQuickButton) => void
  toggleAixInspector: () => void
  /** Marks a notice dismissed. */
  dismiss: (key: string) => void
  incrementActionCounter: (key: string) => void
  /** Sets a counter back to 0. */
  resetActionCounter: (key: string) => void
  setPanelGroupCollapsed: (key: string, collapsed: boolean) => void
  setThemeMode: (themeMode: ThemeMode) => void
  setFontSize: (fontSize: number) => void
  setCompactMode: (compactMode: boolean) => void
  /**
   * Every setting back to its default (dismissals, counters and panel states emptied). Keys the code
   * does not know (legacy ones, or a newer app's) are kept.
   */
  resetPreferences: () => void
}

/** State and actions of the UI preferences store. */
export type UIPreferencesStore = UIPreferencesState & UIPreferencesActions

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const UI_PREFERENCES_STORE_NAME = 'app-ui'
/** The state version: big-AGI's `app-ui` is at 3; the added settings need no migration. */
export const UI_PREFERENCES_STATE_VERSION = 3

/** The language of the browser (or of Node, where it has `navigator`), else `'en-US'`. */
export function defaultPreferredLanguage(): string {
  const language = (globalThis as { navigator?: { language?: unknown } }).navigator?.language
  return typeof language === 'string' && language !== '' ? language : 'en-US'
}

/** The default of every setting. */
export function uiPreferencesDefaults(): UIPreferencesState {
  return {
    preferredLanguage: defaultPreferredLanguage(),
    centerMode: 'full',
    complexityMode: 'pro',
    contentScaling: 'sm',
    disableMarkdown: false,
    doubleClickToEdit: false,
    enterIsNewline: false,
    messageFullWidth: false,
    renderCodeLineNumbers: false,
    renderCodeSoftWrap: false,
    showPersonaFinder: false,
    showModelsFn: false,
    showModelsHidden: true,
    showModelsStarredOnly: false,
    modelsStarredOnTop: true,
    composerQuickButton: 'beam',
    aixInspector: false,
    dismissals: {},
    actionCounters: {},
    panelGroupCollapseStates: {},
    themeMode: 'system',
    fontSize: 14,
    compactMode: false,
  }
}

const SCALES: readonly ContentScaling[] = ['xs', 'sm', 'md']

/**
 * The UI preferences store's state and actions, on their own: for `persistSQLite` (see
 * `createUIPreferencesStore`) or for Zustand's `persist` on the legacy path (with
 * `uiPreferencesLegacyPersistOptions`). `initial` overrides defaults (a language from the request).
 *
 * @example
 * ```ts
 * const useUIPreferencesStore = create<UIPreferencesStore>()(
 *   persist(createUIPreferencesState(), uiPreferencesLegacyPersistOptions),
 * )
 * ```
 */
export function createUIPreferencesState(
  initial: Partial<UIPreferencesState> = {},
): StateCreator<UIPreferencesStore, [], [], UIPreferencesStore> {
  return (set) => {
    const setter =
      <K extends keyof UIPreferencesState>(key: K) =>
      (value: UIPreferencesState[K]): void =>
        set({ [key]: value } as Pick<UIPreferencesState, K>)
    const step = (by: 1 | -1) => (): void =>
      set((state) => {
        const index = Math.max(0, SCALES.indexOf(state.contentScaling))
        const next = SCALES[Math.min(SCALES.length - 1, Math.max(0, index + by))] as ContentScaling
        return next === state.contentScaling ? state : { contentScaling: next }
      })
    return {
      ...uiPreferencesDefaults(),
      ...initial,
      setPreferredLanguage: setter('preferredLanguage'),
      setCenterMode: setter('centerMode'),
      setComplexityMode: setter('complexityMode'),
      setContentScaling: setter('contentScaling'),
      increaseContentScaling: step(1),
      decreaseContentScaling: step(-1),
      setDisableMarkdown: setter('disableMarkdown'),
      setDoubleClickToEdit: setter('doubleClickToEdit'),
      setEnterIsNewline: setter('enterIsNewline'),
      setMessageFullWidth: setter('messageFullWidth'),
      setRenderCodeLineNumbers: setter('renderCodeLineNumbers'),
      setRenderCodeSoftWrap: setter('renderCodeSoftWrap'),
      setShowPersonaFinder: setter('showPersonaFinder'),
      setShowModelsFn: setter('showModelsFn'),
      setShowModelsHidden: setter('showModelsHidden'),
      toggleShowModelsStarredOnly: () => set((state) => ({ showModelsStarredOnly: !state.showModelsStarredOnly })),
      setModelsStarredOnTop: setter('modelsStarredOnTop'),
      setComposerQuickButton: setter('composerQuickButton'),
      toggleAixInspector: () => set((state) => ({ aixInspector: !state.aixInspector })),
      dismiss: (key) => set((state) => ({ dismissals: { ...state.dismissals, [key]: true } })),
      incrementActionCounter: (key) =>
        set((state) => {
          // Own counts only: the counter `constructor` starts at 0, not at what `Object.prototype` holds.
          const count = (Object.hasOwn(state.actionCounters, key) ? state.actionCounters[key] : undefined) ?? 0
          return { actionCounters: { ...state.actionCounters, [key]: count + 1 } }
        }),
      resetActionCounter: (key) => set((state) => ({ actionCounters: { ...state.actionCounters, [key]: 0 } })),
      setPanelGroupCollapsed: (key, collapsed) =>
        set((state) => ({ panelGroupCollapseStates: { ...state.panelGroupCollapseStates, [key]: collapsed } })),
      setThemeMode: setter('themeMode'),
      setFontSize: setter('fontSize'),
      setCompactMode: setter('compactMode'),
      resetPreferences: () => set({ ...uiPreferencesDefaults(), ...initial }),
    }
  }
}

/**
 * What is persisted of the state: every setting and unknown key, without `aixInspector` (as the app
 * in production) and without the actions.
 */
export function partializeUIPreferences(state: UIPreferencesState): PersistedUIPreferences {
  // From entries: `persisted[key] = value` would turn a stored key `__proto__` into the object's prototype.
  const persisted = Object.entries(state).filter(
    ([key, value]) => key !== 'aixInspector' && typeof value !== 'function',
  )
  return Object.fromEntries(persisted) as PersistedUIPreferences
}

/**
 * big-AGI's migration chain of `app-ui`, called with the stored version (`persist`'s `migrate`):
 * 0 to 1 turns `enterToSend` into `enterIsNewline` (inverted); 1 to 2 sets the big-AGI 2 defaults
 * (`contentScaling: 'sm'`, `doubleClickToEdit: false`); 2 to 3 sets `centerMode: 'full'`. Keys are
 * never removed (`enterToSend` stays, as in the app). A version newer than 3 throws MIGRATION_FAILED.
 */
export function migrateUIPreferences(persisted: unknown, version: number): PersistedUIPreferences {
  if (!Number.isInteger(version) || version < 0 || version > UI_PREFERENCES_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${UI_PREFERENCES_STORE_NAME} state version ${version} is not one this package knows (0 to ${UI_PREFERENCES_STATE_VERSION})`,
      { store: UI_PREFERENCES_STORE_NAME },
    )
  }
  const state: Record<string, unknown> = { ...(persisted as Record<string, unknown>) }
  if (version < 1) state['enterIsNewline'] = state['enterToSend'] === false
  if (version < 2) {
    state['contentScaling'] = 'sm'
    state['doubleClickToEdit'] = false
  }
  if (version < 3) state['centerMode'] = 'full'
  return state as unknown as PersistedUIPreferences
}

/** Zustand `persist` options of the legacy path: big-AGI's own name, version, partialize and migrate. */
export const uiPreferencesLegacyPersistOptions = {
  name: UI_PREFERENCES_STORE_NAME,
  version: UI_PREFERENCES_STATE_VERSION,
  partialize: partializeUIPreferences,
  migrate: migrateUIPreferences,
} as const
