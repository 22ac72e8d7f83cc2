import type { Collection } from './rule-spec.ts'

/** One value of the request as rules see it, before transforms. */
export interface InspectedValue {
  readonly collection: Collection
  /** What exclusions and audit lines name: `path`, `args.q`, `body.items[0].text`, `headers.referer`. */
  readonly name: string
  readonly value: string
}
