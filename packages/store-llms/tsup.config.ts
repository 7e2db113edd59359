import { packageConfig } from '../../tsup.config'

// Two builds of one API: `index` (the default, with the key file for Node) and `browser` (what bundlers take for
// browsers, through the `browser` export condition), so that an app's bundle never meets node:fs.
export default packageConfig({ entry: { index: 'src/index.ts', browser: 'src/browser.ts' } })
