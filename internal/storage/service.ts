import type { ServiceImpl } from '@connectrpc/connect'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { BlobStore } from './blob-store.ts'
import { bucketMethods } from './buckets.ts'
import type { StorageDeps } from './deps.ts'
import { guarded } from './errors.ts'
import { getObjectMethod } from './get-object.ts'
import { createLeases } from './leases.ts'
import { objectMethods } from './objects.ts'
import { putObjectMethod } from './put-object.ts'
import { uploadMethods } from './uploads.ts'
import { writeUploadMethod } from './write-upload.ts'

export interface StorageServiceOptions {
  readonly store: BlobStore
  /** Defaults to the system clock. */
  readonly clock?: () => Date
}

/**
 * gatehouse.storage.v1.StorageService over a BlobStore. Every method validates its input before
 * touching the store, and the service throws only ConnectError (anything else becomes INTERNAL).
 */
export function createStorageService(options: StorageServiceOptions): ServiceImpl<typeof StorageService> {
  const deps: StorageDeps = { store: options.store, clock: options.clock ?? (() => new Date()) }
  const leases = createLeases()
  return guarded(StorageService, {
    ...bucketMethods(deps),
    ...objectMethods(deps),
    ...getObjectMethod(deps),
    ...putObjectMethod(deps),
    ...uploadMethods(deps, leases),
    ...writeUploadMethod(deps, leases),
  })
}
