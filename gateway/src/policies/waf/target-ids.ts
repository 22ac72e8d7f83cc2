import { COLLECTIONS } from './rule-spec.ts'
import type { Collection } from './rule-spec.ts'

/**
 * Small dense ids for rule targets, so that a request's values are bucketed once by id and each
 * rule finds its values by array index instead of hashing names: collections take the ids
 * 0..COLLECTIONS.length-1, value names that some compiled rule targets (`headers.user-agent`)
 * the ids after them, interned as rules are compiled.
 */
const COLLECTION_IDS: ReadonlyMap<string, number> = new Map(COLLECTIONS.map((c, i) => [c, i]))
const named = new Map<string, number>()

/** The id of a rule target (a collection or a value name), interning a new name. */
export function targetId(selector: string): number {
  const collection = COLLECTION_IDS.get(selector)
  if (collection !== undefined) return collection
  let id = named.get(selector)
  if (id === undefined) named.set(selector, (id = COLLECTIONS.length + named.size))
  return id
}

export function collectionId(collection: Collection): number {
  return COLLECTION_IDS.get(collection) as number
}

/** The id of a value name some rule targets, or undefined. */
export function namedTargetId(name: string): number | undefined {
  return named.get(name)
}

/** How many ids exist so far (collections and interned names). */
export function targetIdCount(): number {
  return COLLECTIONS.length + named.size
}
