// The storage role (gatehouse.storage.v1.StorageService). Runtime-neutral; the disk store lives in
// ./runtime/disk-blob-store.ts (node:fs) and is wired in by the node runtime.
export { createStorageService, type StorageServiceOptions } from './service.ts'
export { storageRoutes } from './routes.ts'
export { sweepExpiredUploads } from './upload-records.ts'
export type {
  BlobStore,
  BucketRecord,
  CommitOptions,
  CommitResult,
  DeleteBucketResult,
  DeleteObjectResult,
  ListOptions,
  ObjectReader,
  ObjectRecord,
  ObjectWriter,
  UploadAppender,
  UploadRecord,
  UploadStatus,
} from './blob-store.ts'
