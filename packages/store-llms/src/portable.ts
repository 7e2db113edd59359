// The API of both builds (Node's `index` and the `browser` one), all but `fileSecretKey`, which each gives its own.
export type {
  DLLM,
  DLLMId,
  DLLMUserEdits,
  DModelConfiguration,
  DModelDomainId,
  DModelParameterSpec,
  DModelParameterValues,
  DModelPricing,
  DModelsService,
  DModelsServiceId,
  DPricePerMToken,
  DPriceUpTo,
  DPricingChatGenerate,
  DTieredPricing,
  ModelVendor,
  ModelVendorId,
} from './types'
export {
  createDModelConfiguration,
  getLLMLabel,
  isLLMHidden,
  MODEL_DOMAINS,
  MODEL_VENDORS,
  USER_EDIT_FIELDS,
} from './types'
export {
  collectLLMsGarbage,
  createLLMsState,
  getDLLMCloneId,
  LLMS_STATE_VERSION,
  LLMS_STORE_NAME,
  llmsDefaults,
  MAX_SERVICE_LABEL_LENGTH,
  mergeLLMs,
  partializeLLMs,
} from './state'
export type { DModelAssignments, LLMsActions, LLMsState, LLMsStateOptions, LLMsStore } from './state'
export type { PersistedLLM, PersistedLLMs, PersistedModelsService, SealedFields } from './persisted'
export {
  isSealableValue,
  isSecretSetupField,
  LLM_SECRET_FIELDS,
  llmsSchema,
  SECRET_FIELD_NAME,
  secretSetupFields,
} from './schema'
export { isSealedText, openSecret, rawSecretKey, sealedKeyId, sealSecret } from './secretKey'
export type { OpenFailure, OpenResult, SecretKey, SecretKeyOption, SecretPlace } from './secretKey'
export { indexedDBSecretKey } from './indexedDBSecretKey'
export type { IndexedDBSecretKeyOptions } from './indexedDBSecretKey'
export { whenSecretsOpen } from './vault'
export type { UnavailableSecrets } from './vault'
export { createLLMsStore, llmsDefinition } from './store'
export type { LLMsStoreApi, LLMsStoreOptions } from './store'
export { importLegacyLLMs, llmsLegacyPersistOptions, migrateLLMs, partializeLLMsForJson } from './legacy'
export type { ImportLegacyLLMsOptions, LLMsImportIssue, LLMsImportReport } from './legacy'
export { createLLMsLegacy } from './legacyStore'
export type { LLMsLegacyOptions } from './legacyStore'
export { getModelAssignments, getServiceSettings, listModels, listServices, updateServiceSettings } from './queries'
export type { LLMsQueryOptions, LLMsSecretQueryOptions, ServiceSettings, ServiceSummary } from './queries'
