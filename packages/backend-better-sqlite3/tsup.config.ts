import { packageConfig } from '../../tsup.config'

// import.meta.url (for loading better-sqlite3 on demand) in the CommonJS build.
export default packageConfig({ shims: true })
