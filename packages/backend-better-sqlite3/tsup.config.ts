import { packageConfig } from '../../tsup.base'

// import.meta.url (for loading better-sqlite3 on demand) in the CommonJS build.
export default packageConfig({ shims: true })
