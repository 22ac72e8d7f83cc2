import type { BucketRecord, ListOptions } from '../blob-store.ts'
import { compareUtf8 } from '../bytes.ts'
import { TEMP_SUFFIX, ensureDir, list, readJson, remove, writeFileDurably } from './disk-files.ts'
import { type Layout, type StoredObject, bucketFromJson, objectFromJson } from './disk-layout.ts'
import { createKeyedLock } from './keyed-lock.ts'

/**
 * The disk store's memory: every bucket and the metadata of every object (not their bytes), read
 * once when the store opens, then kept in step by the store's own writes. Opening also removes
 * what a crash can leave behind: temporary files and data files no metadata points to.
 */
export interface BucketState {
  readonly record: BucketRecord
  readonly objects: Map<string, StoredObject>
  sorted: string[] | undefined
}

export interface DiskIndex {
  readonly buckets: Map<string, BucketState>
  /** A generation never handed out before in this directory (reserved durably in blocks). */
  nextGeneration(): Promise<bigint>
}

const GENERATION_BLOCK = 1024n
const META = /^([0-9a-f]{64})\.json$/
const DATA = /^([0-9a-f]{64})\.(\d+)\.data$/

export async function loadIndex(layout: Layout): Promise<DiskIndex> {
  for (const d of [layout.tmpDir, layout.trashDir, layout.bucketsDir]) await ensureDir(d)
  for (const d of [layout.tmpDir, layout.trashDir]) for (const name of await list(d)) await remove(`${d}/${name}`)

  const buckets = new Map<string, BucketState>()
  for (const name of await list(layout.bucketsDir)) {
    const json = await readJson(layout.bucketFile(name))
    if (json === undefined) continue
    buckets.set(name, { record: bucketFromJson(json), objects: await loadObjects(layout, name), sorted: undefined })
    for (const id of await list(layout.uploadsDir(name))) await removeTemps(layout.uploadDir(name, id))
  }

  const stored = (await readJson(layout.generationFile)) as { reserved?: string } | undefined
  let reserved = BigInt(stored?.reserved ?? '0')
  let next = reserved + 1n
  const lock = createKeyedLock()
  return {
    buckets,
    nextGeneration: () =>
      lock.run('generation', async () => {
        if (next > reserved) {
          reserved = next + GENERATION_BLOCK - 1n
          await writeFileDurably(layout.generationFile, JSON.stringify({ reserved: String(reserved) }))
        }
        return next++
      }),
  }
}

async function loadObjects(layout: Layout, bucket: string): Promise<Map<string, StoredObject>> {
  const dir = layout.objectsDir(bucket)
  const names = await list(dir)
  const objects = new Map<string, StoredObject>()
  const live = new Set<string>()
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) await remove(`${dir}/${name}`)
    const m = META.exec(name)
    if (!m) continue
    const object = objectFromJson(await readJson(`${dir}/${name}`))
    objects.set(object.key, object)
    live.add(`${m[1]}.${object.generation}.data`)
  }
  for (const name of names) if (DATA.test(name) && !live.has(name)) await remove(`${dir}/${name}`)
  return objects
}

async function removeTemps(dir: string): Promise<void> {
  for (const name of await list(dir)) if (name.endsWith(TEMP_SUFFIX)) await remove(`${dir}/${name}`)
}

/** Keys in byte order (cached until the next write to the bucket). */
function sortedKeys(state: BucketState): string[] {
  state.sorted ??= [...state.objects.keys()].sort(compareUtf8)
  return state.sorted
}

/** Index of the first element for which `past` holds (`past` is false, then true, along `sorted`). */
function firstWhere(sorted: string[], past: (s: string) => boolean): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (past(sorted[mid] as string)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Objects whose key starts with `prefix`, in byte order, strictly after `options.after`. */
export function listKeys(state: BucketState, prefix: string, { after, limit }: ListOptions): StoredObject[] {
  const keys = sortedKeys(state)
  const from = after !== undefined && compareUtf8(after, prefix) >= 0 ? after : undefined
  let i = firstWhere(keys, from === undefined ? (k) => compareUtf8(k, prefix) >= 0 : (k) => compareUtf8(k, from) > 0)
  const out: StoredObject[] = []
  for (; i < keys.length && out.length < limit; i++) {
    const key = keys[i] as string
    if (!key.startsWith(prefix)) break
    out.push(state.objects.get(key) as StoredObject)
  }
  return out
}

export function listNames(buckets: Map<string, BucketState>, { after, limit }: ListOptions): BucketRecord[] {
  const names = [...buckets.keys()].sort(compareUtf8)
  const start = after === undefined ? 0 : firstWhere(names, (n) => compareUtf8(n, after) > 0)
  return names.slice(start, start + limit).map((n) => (buckets.get(n) as BucketState).record)
}
