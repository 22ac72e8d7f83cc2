import { Readable, pipeline } from 'node:stream'
import { createBrotliCompress, createGzip } from 'node:zlib'
import { Codec } from '../../../proto/gen/gatehouse/processing/v1/processing_pb.ts'

/** Compressed output chunk size: well under storage's 1 MiB chunk limit. */
const OUTPUT_CHUNK = 64 * 1024

/** The codecs a CompressObject task supports, with the key suffix and media type of the copy. */
export const CODECS: ReadonlyMap<Codec, { readonly suffix: string; readonly contentType: string }> = new Map([
  [Codec.GZIP, { suffix: '.gz', contentType: 'application/gzip' }],
  [Codec.BROTLI, { suffix: '.br', contentType: 'application/x-brotli' }],
])

/**
 * Compresses a byte stream with node:zlib (gzip at level 6, Brotli at quality 11: each format's
 * default, as the proto asks) without buffering it: chunks are pulled from `source` as the
 * compressor drains. Node-only (zlib runs on libuv's thread pool). An error of `source` ends the
 * output with that same error, and abandoning the output stops pulling from `source`.
 */
export function compressChunks(source: AsyncIterable<Uint8Array>, codec: Codec): AsyncIterable<Uint8Array> {
  if (!CODECS.has(codec)) throw new TypeError(`unsupported codec ${codec}`)
  const compressor =
    codec === Codec.GZIP ? createGzip({ chunkSize: OUTPUT_CHUNK }) : createBrotliCompress({ chunkSize: OUTPUT_CHUNK })
  // The callback form returns the last stream; errors reach its iterator, so the callback has
  // nothing left to do.
  return pipeline(Readable.from(source, { objectMode: false }), compressor, () => undefined)
}
