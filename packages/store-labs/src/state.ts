import type { StateCreator } from 'zustand/vanilla'

/** The state of the UX labs store: feature flags and the configuration of experiments, by name. */
export interface UXLabsState {
  /** Every flag stored or known, by name. Flags this code does not know (older or newer apps') stay. */
  enabledFlags: Record<string, boolean>
  /** Configuration of experiments, by name: any JSON value. */
  experiments: Record<string, unknown>
}

/** The name of the flag that gates the switch of an app's stores to SQLite. */
export const SQLITE_MIGRATION_FLAG = 'sqlite-migration'

/**
 * The flags this code knows, with their defaults: big-AGI's current labs flags, and the flag of the
 * SQLite rollout.
 */
export const UX_LABS_FLAG_DEFAULTS = {
  labsHighPerformance: false,
  labsAutoHideComposer: false,
  labsScreenWakeLock: true,
  labsShowShortcutBar: true,
  labsComposerAttachmentsInline: false,
  labsLosslessImages: false,
  labsSingleDollarLatex: false,
  [SQLITE_MIGRATION_FLAG]: false,
} as const satisfies Record<string, boolean>

/** A flag this code knows. */
export type KnownUXLabsFlag = keyof typeof UX_LABS_FLAG_DEFAULTS

/** The actions of the UX labs store: generic ones, and big-AGI's getters and setters of each flag. */
export interface UXLabsActions {
  /** The flag's value: stored, else its default, else `false` for a flag this code does not know. */
  getFlag: (name: string) => boolean
  setFlag: (name: string, enabled: boolean) => void
  toggleFlag: (name: string) => void
  /** The configuration of an experiment, `undefined` when it has none. */
  getExperiment: (name: string) => unknown
  /** Sets the configuration of an experiment; `undefined` removes it. */
  setExperiment: (name: string, config: unknown) => void
  /**
   * Known flags back to their defaults and experiments emptied. Flags this code does not know are
   * kept: they may belong to another version of the app.
   */
  resetFlags: () => void
  getLabsHighPerformance: () => boolean
  setLabsHighPerformance: (enabled: boolean) => void
  getLabsAutoHideComposer: () => boolean
  setLabsAutoHideComposer: (enabled: boolean) => void
  getLabsScreenWakeLock: () => boolean
  setLabsScreenWakeLock: (enabled: boolean) => void
  getLabsShowShortcutBar: () => boolean
  setLabsShowShortcutBar: (enabled: boolean) => void
  getLabsComposerAttachmentsInline: () => boolean
  setLabsComposerAttachmentsInline: (enabled: boolean) => void
  getLabsLosslessImages: () => boolean
  /** Sets `labsLosslessImages` (the app's name for this setter). */
  setLabsPreserveLosslessImages: (enabled: boolean) => void
  getLabsSingleDollarLatex: () => boolean
  setLabsSingleDollarLatex: (enabled: boolean) => void
}

/** State and actions of the UX labs store. */
export type UXLabsStore = UXLabsState & UXLabsActions

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const UX_LABS_STORE_NAME = 'app-ux-labs'
/**
 * The state version. big-AGI's `app-ux-labs` is at 1, with one flat key per flag; version 2 is this
 * package's shape (`enabledFlags`, `experiments`).
 */
export const UX_LABS_STATE_VERSION = 2

/** The default state: every known flag at its default, no experiments. */
export function uxLabsDefaults(): UXLabsState {
  return { enabledFlags: { ...UX_LABS_FLAG_DEFAULTS }, experiments: {} }
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key)

/** The value of a flag in a state: stored, else its default, else `false`. */
export function flagValue(state: Pick<UXLabsState, 'enabledFlags'>, name: string): boolean {
  if (hasOwn(state.enabledFlags, name)) return state.enabledFlags[name] === true
  return hasOwn(UX_LABS_FLAG_DEFAULTS, name) ? UX_LABS_FLAG_DEFAULTS[name as KnownUXLabsFlag] : false
}

/**
 * The UX labs store's state and actions, on their own: for `persistSQLite` (see `createUXLabsStore` and
 * `uxLabsDefinition`) or for Zustand's `persist` on the legacy path (with `uxLabsLegacyPersistOptions`).
 * Every change is computed from the state it is made on, so a change made while the store hydrates is
 * made again on the hydrated flags.
 *
 * @example
 * ```ts
 * const useUXLabsStore = create<UXLabsStore>()(persist(createUXLabsState(), uxLabsLegacyPersistOptions))
 * ```
 */
export function createUXLabsState(): StateCreator<UXLabsStore, [], [], UXLabsStore> {
  return (set, get) => {
    // Records keyed by flag names are changed by spreads and computed keys, never by `record[name] = value`:
    // a flag may be named `__proto__`, and that assignment would replace the record's prototype instead.
    const setFlag = (name: string, enabled: boolean): void =>
      set((state) =>
        hasOwn(state.enabledFlags, name) && state.enabledFlags[name] === enabled
          ? state
          : { enabledFlags: { ...state.enabledFlags, [name]: enabled } },
      )
    const flag = (name: KnownUXLabsFlag) => ({
      get: (): boolean => flagValue(get(), name),
      set: (enabled: boolean): void => setFlag(name, enabled),
    })
    const highPerformance = flag('labsHighPerformance')
    const autoHideComposer = flag('labsAutoHideComposer')
    const screenWakeLock = flag('labsScreenWakeLock')
    const showShortcutBar = flag('labsShowShortcutBar')
    const attachmentsInline = flag('labsComposerAttachmentsInline')
    const losslessImages = flag('labsLosslessImages')
    const singleDollarLatex = flag('labsSingleDollarLatex')
    return {
      ...uxLabsDefaults(),
      getFlag: (name) => flagValue(get(), name),
      setFlag,
      toggleFlag: (name) =>
        set((state) => ({ enabledFlags: { ...state.enabledFlags, [name]: !flagValue(state, name) } })),
      getExperiment: (name) => (hasOwn(get().experiments, name) ? get().experiments[name] : undefined),
      setExperiment: (name, config) =>
        set((state) => {
          const present = hasOwn(state.experiments, name)
          const unchanged = config === undefined ? !present : present && Object.is(state.experiments[name], config)
          if (unchanged) return state
          const { [name]: _previous, ...others } = state.experiments
          return { experiments: config === undefined ? others : { ...others, [name]: config } }
        }),
      resetFlags: () =>
        set((state) => {
          const known = Object.entries(UX_LABS_FLAG_DEFAULTS)
          const atDefaults = known.every(([name, value]) => state.enabledFlags[name] === value)
          if (atDefaults && Object.keys(state.experiments).length === 0) return state
          return { enabledFlags: { ...state.enabledFlags, ...UX_LABS_FLAG_DEFAULTS }, experiments: {} }
        }),
      getLabsHighPerformance: highPerformance.get,
      setLabsHighPerformance: highPerformance.set,
      getLabsAutoHideComposer: autoHideComposer.get,
      setLabsAutoHideComposer: autoHideComposer.set,
      getLabsScreenWakeLock: screenWakeLock.get,
      setLabsScreenWakeLock: screenWakeLock.set,
      getLabsShowShortcutBar: showShortcutBar.get,
      setLabsShowShortcutBar: showShortcutBar.set,
      getLabsComposerAttachmentsInline: attachmentsInline.get,
      setLabsComposerAttachmentsInline: attachmentsInline.set,
      getLabsLosslessImages: losslessImages.get,
      setLabsPreserveLosslessImages: losslessImages.set,
      getLabsSingleDollarLatex: singleDollarLatex.get,
      setLabsSingleDollarLatex: singleDollarLatex.set,
    }
  }
}
