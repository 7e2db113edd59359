// The default build, for Node: the key file works here.
export * from './portable'
export { fileSecretKey } from './fileSecretKey'
