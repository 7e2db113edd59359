/** A value, or a promise of it: what a backend over a synchronous engine returns stays synchronous. */
export type MaybePromise<T> = T | Promise<T>

/** True for a promise or any other thenable. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Runs `next` on a value or, when it is a promise, once it resolves: a synchronous chain stays
 * synchronous, and a synchronous throw stays a throw.
 */
export function chain<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike<T>(value) ? Promise.resolve(value).then(next) : next(value)
}

/**
 * Runs `run` and sends whatever goes wrong, a throw or a rejection, to `recover`: one error path for
 * both. A synchronous `run` stays synchronous.
 */
export function attempt<T>(run: () => MaybePromise<T>, recover: (error: unknown) => MaybePromise<T>): MaybePromise<T> {
  let result: MaybePromise<T>
  try {
    result = run()
  } catch (error) {
    return recover(error)
  }
  return isPromiseLike<T>(result) ? Promise.resolve(result).then(undefined, recover) : result
}
