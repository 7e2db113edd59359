import { packageConfig } from '../../tsup.config'

// The ESM build shares one chunk between both entries; the CommonJS testing entry carries its own copy
// (errors are recognised by a Symbol.for brand, so two copies still agree).
export default packageConfig({ entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } })
