import { rules } from '@zustand-sqlite/core'
import type { Rules } from '@zustand-sqlite/core'
import type { PersistedUIPreferences } from './state'

/**
 * What each persisted setting accepts: the rules `updateUIPreferences` checks a patch against, and
 * `importLegacyUIPreferences` checks imported settings against.
 */
export const uiPreferencesRules: Rules<PersistedUIPreferences> = {
  preferredLanguage: rules.string({ minLength: 1, maxLength: 35 }),
  centerMode: rules.oneOf('narrow', 'wide', 'full'),
  complexityMode: rules.oneOf('minimal', 'pro', 'extra'),
  contentScaling: rules.oneOf('xs', 'sm', 'md'),
  disableMarkdown: rules.boolean(),
  doubleClickToEdit: rules.boolean(),
  enterIsNewline: rules.boolean(),
  messageFullWidth: rules.boolean(),
  renderCodeLineNumbers: rules.boolean(),
  renderCodeSoftWrap: rules.boolean(),
  showPersonaFinder: rules.boolean(),
  showModelsFn: rules.boolean(),
  showModelsHidden: rules.boolean(),
  showModelsStarredOnly: rules.boolean(),
  modelsStarredOnTop: rules.boolean(),
  composerQuickButton: rules.oneOf('off', 'call', 'beam'),
  dismissals: rules.record(rules.boolean()),
  actionCounters: rules.record(rules.integer({ min: 0 })),
  panelGroupCollapseStates: rules.record(rules.boolean()),
  themeMode: rules.oneOf('system', 'light', 'dark'),
  fontSize: rules.integer({ min: 8, max: 48 }),
  compactMode: rules.boolean(),
}
