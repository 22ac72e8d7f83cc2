import type { BlobStore } from './blob-store.ts'

/** What the storage service runs on: the store port and a clock (tests move time). */
export interface StorageDeps {
  readonly store: BlobStore
  readonly clock: () => Date
}
