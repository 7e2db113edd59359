import { rules } from '@zustand-sqlite/core'
import type { Rule, Rules } from '@zustand-sqlite/core'

/** The longest folder title the query functions accept. */
export const MAX_TITLE_LENGTH = 512
/** The longest folder or conversation id the query functions accept. */
export const MAX_ID_LENGTH = 128

/** What `updateChatFolder` accepts (every field optional), and `createChatFolder` (with `title` required). */
export interface ChatFolderPatch {
  /** 1 to 512 characters. */
  title: string
  /** 1 to 64 characters (a CSS color); `null` removes the color. */
  color: string | null
  isCollapsed: boolean
}

const colorRule = rules.string({ minLength: 1, maxLength: 64 })

/** A folder or conversation id: 1 to 128 characters. */
export const idRule: Rule<string> = rules.string({ minLength: 1, maxLength: MAX_ID_LENGTH })

/** The rules `createChatFolder` and `updateChatFolder` check their input against. */
export const chatFolderRules: Rules<ChatFolderPatch> = {
  title: rules.string({ minLength: 1, maxLength: MAX_TITLE_LENGTH }),
  color: rules.nullable(colorRule),
  isCollapsed: rules.boolean(),
}
