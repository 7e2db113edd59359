export {
  createUIPreferencesState,
  defaultPreferredLanguage,
  migrateUIPreferences,
  partializeUIPreferences,
  UI_PREFERENCES_STATE_VERSION,
  UI_PREFERENCES_STORE_NAME,
  uiPreferencesDefaults,
  uiPreferencesLegacyPersistOptions,
} from './state'
export type {
  CenterMode,
  ComposerQuickButton,
  ContentScaling,
  PersistedUIPreferences,
  ThemeMode,
  UIComplexityMode,
  UIPreferencesActions,
  UIPreferencesState,
  UIPreferencesStore,
} from './state'
export { uiPreferencesSchema } from './schema'
export { uiPreferencesRules } from './rules'
export { createUIPreferencesStore, uiPreferencesDefinition } from './store'
export type { UIPreferencesStateOptions, UIPreferencesStoreApi, UIPreferencesStoreOptions } from './store'
export { importLegacyUIPreferences } from './legacy'
export { uiPreferencesLegacy } from './legacyStore'
export { getUIPreferences, resetUIPreferences, updateUIPreferences } from './queries'
export type { UIPreferencesQueryOptions, UIPreferencesRecord } from './queries'
export { uiPreferencesRoutes } from './routes'
