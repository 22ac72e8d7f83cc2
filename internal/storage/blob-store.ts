/**
 * The storage role's port: where buckets, objects and resumable uploads live. The service
 * (service.ts) owns the protocol (names, limits, error codes, the upload state machine); a
 * BlobStore owns bytes, durability, atomic visibility and the SHA-256 of what it wrote.
 * `runtime/disk-blob-store.ts` is the embedded default (a directory on local disk).
 *
 * Expected outcomes are results, not exceptions; a store throws only on real I/O failure
 * (the service turns that into INTERNAL). Sizes and offsets are numbers (safe up to 8 PiB);
 * generations are bigints as in the proto.
 */

export interface BucketRecord {
  readonly name: string
  readonly createTime: Date
}

/** The metadata of one generation of an object (the proto's `Object` without the etag). */
export interface ObjectRecord {
  readonly bucket: string
  readonly key: string
  readonly size: number
  /** The 32 raw bytes of the SHA-256 of the content, computed by the store while writing. */
  readonly sha256: Uint8Array
  readonly contentType: string
  readonly createTime: Date
  /** Positive, unique per write of a key in this store, never reused (even after a delete). */
  readonly generation: bigint
}

export type UploadStatus = 'active' | 'completed' | 'aborted'

/** A resumable upload's durable record (the proto's `Upload`). */
export interface UploadRecord {
  readonly uploadId: string
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  /** Expected SHA-256 given at creation, or empty. */
  readonly sha256: Uint8Array
  readonly size: number | undefined
  readonly ifGenerationMatch: bigint | undefined
  readonly committedOffset: number
  readonly status: UploadStatus
  readonly createTime: Date
  readonly expireTime: Date
  readonly object: ObjectRecord | undefined
}

/** What becomes of written bytes when they are made visible. */
export interface CommitOptions {
  readonly key: string
  readonly contentType: string
  readonly createTime: Date
  /** Checked atomically with the commit: the key's current generation (0n = absent) must equal it. */
  readonly ifGenerationMatch: bigint | undefined
}

export type CommitResult =
  | { readonly kind: 'committed'; readonly object: ObjectRecord }
  | { readonly kind: 'no-bucket' }
  /** `current` is the key's current generation, 0n when it does not exist. */
  | { readonly kind: 'precondition-failed'; readonly current: bigint }

/** A new object's bytes, written to a private temporary place until `commit`. */
export interface ObjectWriter {
  /** Appends one chunk; the promise settles once the bytes are handed to the file system. */
  write(chunk: Uint8Array): Promise<void>
  /** Bytes written so far. */
  readonly size: number
  /** Flushes and fsyncs; returns the SHA-256 of every byte written. Call once, before commit. */
  finish(): Promise<Uint8Array>
  /** Atomically makes the bytes the key's new generation (or reports why not). One attempt. */
  commit(options: CommitOptions): Promise<CommitResult>
  /** Deletes the temporary bytes. Idempotent; a no-op after a successful commit. */
  discard(): Promise<void>
}

/** An open generation of an object: reads keep returning it even if the key is replaced. */
export interface ObjectReader {
  readonly object: ObjectRecord
  /** The bytes [offset, offset + length) in chunks of at most `chunkSize` bytes, then closes. */
  read(offset: number, length: number, chunkSize: number): AsyncIterable<Uint8Array>
  /** Releases the file; idempotent, also safe while `read` is suspended. */
  close(): Promise<void>
}

/** Appends to an upload's data from its committed offset; one appender per upload at a time. */
export interface UploadAppender {
  write(chunk: Uint8Array): Promise<void>
  /** The offset after the last byte written (committed offset + bytes of this appender). */
  readonly end: number
  /** Makes every byte written durable (fsync) and closes. The caller then saves the record. */
  sync(): Promise<void>
  /** Forgets every byte written by this appender (truncates back) and closes. */
  rollback(): Promise<void>
}

export type DeleteBucketResult =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-empty'; readonly objects: number; readonly activeUploads: number }

export type DeleteObjectResult =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'precondition-failed'; readonly current: bigint }

export interface ListOptions {
  /** Exclusive lower bound, in byte (code point) order. */
  readonly after: string | undefined
  readonly limit: number
}

export interface BlobStore {
  /** `undefined` when the name is taken. */
  createBucket(bucket: BucketRecord): Promise<BucketRecord | undefined>
  getBucket(name: string): Promise<BucketRecord | undefined>
  /** Buckets ordered by name, after `after`, at most `limit`. */
  listBuckets(options: ListOptions): Promise<BucketRecord[]>
  /** Refuses while the bucket holds objects or ACTIVE uploads whose expireTime is after `now`. */
  deleteBucket(name: string, now: Date): Promise<DeleteBucketResult>

  /** `undefined` when the bucket does not exist. Ordered by key in byte order. */
  listObjects(bucket: string, prefix: string, options: ListOptions): Promise<ObjectRecord[] | undefined>
  headObject(bucket: string, key: string): Promise<ObjectRecord | undefined>
  /** Opens the current generation; `undefined` when the object does not exist. */
  openObject(bucket: string, key: string): Promise<ObjectReader | undefined>
  deleteObject(bucket: string, key: string, ifGenerationMatch: bigint | undefined): Promise<DeleteObjectResult>
  /** A writer for a new object of `bucket` (whose existence is checked again at commit). */
  createObjectWriter(bucket: string): Promise<ObjectWriter>

  /** Persists a new upload (ACTIVE, empty data); false when the bucket does not exist. */
  createUpload(upload: UploadRecord): Promise<boolean>
  getUpload(bucket: string, uploadId: string): Promise<UploadRecord | undefined>
  /** Atomically replaces an upload's record (durable when the promise resolves). */
  saveUpload(upload: UploadRecord): Promise<void>
  listUploads(bucket: string): Promise<UploadRecord[]>
  /** Opens the upload's data for appending at `offset` (its committed offset). */
  openUploadAppender(bucket: string, uploadId: string, offset: number): Promise<UploadAppender>
  /** SHA-256 of the upload's first `length` bytes. */
  uploadDigest(bucket: string, uploadId: string, length: number): Promise<Uint8Array>
  /** Makes the upload's first `length` bytes the key's new generation (atomically, as ObjectWriter.commit). */
  commitUpload(bucket: string, uploadId: string, length: number, options: CommitOptions): Promise<CommitResult>
  /** Deletes the upload's data, keeping its record. Idempotent. */
  discardUploadData(bucket: string, uploadId: string): Promise<void>
  /** Deletes the upload's record and data. Idempotent. */
  forgetUpload(bucket: string, uploadId: string): Promise<void>
}
