/** The head transitions of ApplyBundle and RollbackBundle: pure, so the rules read in one place. */
import type { SourceFile } from '../../gateway/src/bundle/types.ts'
import type { Head, StoredVersion } from './stored.ts'

/** Who and why, stamped on a new version. */
export interface ChangeMeta {
  readonly author: string
  readonly reason: string
  readonly now: Date
}

/** The next head, or undefined when the bundle already runs where asked; `what` describes the change. */
export interface HeadChange {
  readonly next: Head | undefined
  readonly what: string
}

const fresh = (head: Head, meta: ChangeMeta, fields: Pick<StoredVersion, 'hash' | 'files' | 'canaryLabel' | 'rollbackOf'>): StoredVersion => ({
  version: head.latest + 1,
  createdAt: meta.now.toISOString(),
  author: meta.author,
  reason: meta.reason,
  ...fields,
})

/**
 * With a label: the bundle becomes that label's canary (a new version) unless it already is.
 * Without: the running canary's bundle is promoted (its version becomes stable); any other
 * bundle becomes a new stable version and ends a canary; the stable bundle itself is no change.
 */
export function applyBundleTo(head: Head, bundle: { hash: string; files: readonly SourceFile[] }, label: string, meta: ChangeMeta): HeadChange {
  const version = () => fresh(head, meta, { hash: bundle.hash, files: bundle.files, canaryLabel: label, rollbackOf: 0 })
  if (label !== '') {
    if (head.canary?.canaryLabel === label && head.canary.hash === bundle.hash) return { next: undefined, what: 'unchanged' }
    const canary = version()
    return { next: { latest: canary.version, stable: head.stable, canary }, what: `applied version ${canary.version} to canary ${label}` }
  }
  if (head.canary?.hash === bundle.hash) {
    return { next: { latest: head.latest, stable: head.canary, canary: undefined }, what: `promoted canary version ${head.canary.version}` }
  }
  if (!head.canary && head.stable?.hash === bundle.hash) return { next: undefined, what: 'unchanged' }
  const stable = version()
  return { next: { latest: stable.version, stable, canary: undefined }, what: `applied version ${stable.version}` }
}

/** An earlier version's files again, as a new stable version; a running canary ends. */
export function rollbackTo(head: Head, target: StoredVersion, meta: ChangeMeta): HeadChange {
  const stable = fresh(head, meta, { hash: target.hash, files: target.files, canaryLabel: '', rollbackOf: target.version })
  return { next: { latest: stable.version, stable, canary: undefined }, what: `version ${stable.version} = version ${target.version}` }
}
