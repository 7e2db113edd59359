export { createServerHandler, userDatabaseFile } from './handler'
export type { ErrorBody, ServedStore, ServerHandler, ServerHandlerOptions } from './handler'
export { parseChangeSet } from './wire'
