export { createServerHandler, userDatabaseFile } from './handler'
export type { ErrorBody, ServedStore, ServerHandler, ServerHandlerOptions } from './handler'
export { fromWireValue, parseChangeSet, toWire, toWireValue } from './wire'
export type { WireValue } from './wire'
