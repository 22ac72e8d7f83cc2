import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { createDiskBlobStore } from '../../storage/runtime/disk-blob-store.ts'
import { createStorageService } from '../../storage/service.ts'
import { NodeRole } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import type { Role } from '../role.ts'

/** Objects in buckets; embedded: files on local disk (temp file, fsync, atomic rename). */
export const storageRole: Role = {
  name: 'storage',
  registryRole: NodeRole.STORAGE,
  description: 'objects in buckets: chunked streams, byte ranges, resumable uploads, SHA-256 end to end',
  async open({ dataDir }) {
    const store = await createDiskBlobStore(dataDir)
    return { routes: (router) => router.service(StorageService, createStorageService({ store })), close: async () => {} }
  },
}
