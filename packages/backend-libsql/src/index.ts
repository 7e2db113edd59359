export { createLibsqlBackend } from './createLibsqlBackend'
export type { LibsqlBackendOptions } from './createLibsqlBackend'
export type { LibsqlClient, LibsqlResultSet, LibsqlTransaction } from './libsqlDriver'
