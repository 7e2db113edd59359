/** A model's id: the vendor's model id under its service (`openai-gpt-4o`); a user clone adds `::<variant>`. */
export type DLLMId = string

/** A service's id: its vendor's id, then `-1`, `-2`, ... for the second and later services of one vendor. */
export type DModelsServiceId = string

/**
 * A vendor: `alibaba`, `anthropic`, `azure`, `bedrock`, `cerebras`, `cohere`, `deepseek`, `googleai`, `groq`,
 * `lmstudio`, `localai`, `mistral`, `modular`, `moonshot`, `nvidianim`, `ollama`, `openai`, `openrouter`,
 * `perplexity`, `sakanaai`, `togetherai`, `xai`, `zai` (see {@link MODEL_VENDORS}); stored data may name others.
 */
export type ModelVendorId = string

/** The domains a model is assigned to. A domain without an assignment uses the model picked automatically. */
export type DModelDomainId = 'primaryChat' | 'codeApply' | 'fastUtil' | 'imageCaption'

/** Every model domain, in the app's order. */
export const MODEL_DOMAINS: readonly DModelDomainId[] = ['primaryChat', 'codeApply', 'fastUtil', 'imageCaption']

/** The vendors the app knows, by id, with their display names (a service's default label). */
export const MODEL_VENDORS: Readonly<Record<string, string>> = {
  alibaba: 'Alibaba Cloud',
  anthropic: 'Anthropic',
  azure: 'Azure',
  bedrock: 'AWS Bedrock',
  cerebras: 'Cerebras',
  cohere: 'Cohere',
  deepseek: 'Deepseek',
  googleai: 'Gemini',
  groq: 'Groq',
  lmstudio: 'LM Studio',
  localai: 'LocalAI',
  mistral: 'Mistral',
  modular: 'Modular',
  moonshot: 'Moonshot AI',
  nvidianim: 'NVIDIA NIM',
  ollama: 'Ollama',
  openai: 'OpenAI',
  openrouter: 'OpenRouter',
  perplexity: 'Perplexity',
  sakanaai: 'Sakana AI',
  togetherai: 'Together AI',
  xai: 'xAI',
  zai: 'Z.ai',
}

/** A price in dollars per million tokens, or `'free'`. */
export type DPricePerMToken = number | 'free'

/** One tier of a tiered price: up to `upTo` tokens (`null`: no limit). */
export interface DPriceUpTo {
  upTo: number | null
  price: DPricePerMToken
}

/** A flat price, or tiers by the number of tokens. */
export type DTieredPricing = DPricePerMToken | DPriceUpTo[]

/** The prices of chat generation. `_isFree` is a cache of whether input and output are free. */
export interface DPricingChatGenerate {
  input?: DTieredPricing
  output?: DTieredPricing
  cache?:
    | { cType: 'ant-bp'; read: DTieredPricing; write: DTieredPricing; duration: number }
    | { cType: 'oai-ac'; read: DTieredPricing }
  _isFree?: boolean
}

/** A model's pricing (the app's version 3 shape). */
export interface DModelPricing {
  chat?: DPricingChatGenerate
}

/**
 * Parameter values by the app's registry ids: `llmRef`, `llmResponseTokens`, `llmTemperature`, `llmTopP`,
 * `llmForceNoStream` and some forty vendor ones (`llmVndAntThinkingBudget`, `llmVndOaiEffort`, ...). Sparse.
 */
export type DModelParameterValues = Record<string, unknown>

/** A parameter a model takes: its registry id and, for enums, the values this model allows. */
export interface DModelParameterSpec {
  paramId: string
  required?: boolean
  hidden?: boolean
  initialValue?: unknown
  enumValues?: readonly string[]
  rangeOverride?: readonly [number, number]
}

/**
 * A model, as the app keeps it ("data at rest"). The vendor's description of it is replaced when the service's
 * models are listed again; the `user*` fields are the user's edits, kept across listings; a user clone is a copy
 * with its own id. Fields the app adds later are kept as they are.
 */
export interface DLLM {
  id: DLLMId
  label: string
  created: number
  updated?: number
  /** The vendor's release date, `'YYYYMMDD'`. */
  pubDate?: string
  description: string
  hidden: boolean
  /** `null`: unknown. */
  contextTokens: number | null
  /** `null`: unknown. */
  maxOutputTokens: number | null
  /** `oai-chat`, `oai-chat-fn`, `oai-chat-vision`, `oai-chat-reasoning`, `ant-prompt-caching`, ... */
  interfaces: string[]
  benchmark?: { cbaElo?: number }
  pricing?: DModelPricing
  parameterSpecs: DModelParameterSpec[]
  initialParameters: DModelParameterValues
  sId: DModelsServiceId
  vId: ModelVendorId
  userLabel?: string
  userHidden?: boolean
  userStarred?: boolean
  userContextTokens?: number | null
  userMaxOutputTokens?: number | null
  userPricing?: DModelPricing
  userParameters?: DModelParameterValues
  isUserClone?: boolean
  cloneSourceId?: DLLMId
}

/** The user's edits of a model: the `user*` fields of {@link DLLM}. */
export type DLLMUserEdits = Pick<
  DLLM,
  | 'userLabel'
  | 'userHidden'
  | 'userStarred'
  | 'userContextTokens'
  | 'userMaxOutputTokens'
  | 'userPricing'
  | 'userParameters'
>

/** The names of the {@link DLLMUserEdits} fields. */
export const USER_EDIT_FIELDS: readonly (keyof DLLMUserEdits)[] = [
  'userLabel',
  'userHidden',
  'userStarred',
  'userContextTokens',
  'userMaxOutputTokens',
  'userPricing',
  'userParameters',
]

/**
 * A configured service of a vendor (the app's `DModelsService`, called a "source" before): its `setup` holds the
 * vendor's settings, API keys among them (`oaiKey`, `anthropicKey`, ...; see `isSecretSetupField`).
 */
export interface DModelsService<TSettings extends object = Record<string, unknown>> {
  id: DModelsServiceId
  label: string
  vId: ModelVendorId
  setup: Partial<TSettings>
  /** The version of the vendor's model definitions last applied. */
  defsV?: string
}

/** A domain's assignment: a model (`null`: "no model for this domain") and, optionally, its parameters. */
export interface DModelConfiguration {
  mct: 'model-parametric'
  domainId: DModelDomainId
  modelId: DLLMId | null
  modelParameters?: DModelParameterValues
}

/** What `createModelsService` needs of a vendor: the app's `IModelVendor` has it. */
export interface ModelVendor {
  readonly id: ModelVendorId
  readonly name: string
  /** The setup of a new service. @default `{}` */
  readonly initializeSetup?: () => Record<string, unknown>
}

/** The label the app shows for a model: the user's, else the vendor's. */
export function getLLMLabel(llm: Pick<DLLM, 'label' | 'userLabel'>): string {
  return llm.userLabel ?? llm.label
}

/** Whether a model is hidden from the app's pickers: the user's choice, else the vendor's. */
export function isLLMHidden(llm: Pick<DLLM, 'hidden' | 'userHidden'>): boolean {
  return llm.userHidden ?? llm.hidden ?? false
}

/** A domain's assignment to `modelId`, as the app makes it. */
export function createDModelConfiguration(
  domainId: DModelDomainId,
  modelId: DLLMId | null,
  modelParameters?: DModelParameterValues,
): DModelConfiguration {
  return {
    mct: 'model-parametric',
    domainId,
    modelId,
    ...(modelParameters === undefined ? {} : { modelParameters }),
  }
}
