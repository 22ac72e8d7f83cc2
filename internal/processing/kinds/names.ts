import { Code, ConnectError } from '@connectrpc/connect'

// The storage role's naming rules (storage.proto), checked at SubmitTask so that a task with a
// bad name is refused at once instead of failing later on a worker.

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/
const CONTROL = /[\u0000-\u001f\u007f]/
const MAX_KEY_BYTES = 1024

const invalid = (field: string, reason: string): ConnectError =>
  new ConnectError(`${field}: ${reason}`, Code.InvalidArgument)

/** 3 to 63 characters of [a-z0-9-], starting and ending with a letter or a digit. */
export function checkBucket(field: string, bucket: string): void {
  if (!BUCKET.test(bucket)) {
    throw invalid(field, `invalid bucket name ${JSON.stringify(bucket)} (3 to 63 characters of [a-z0-9-])`)
  }
}

/** 1 to 1024 bytes of UTF-8 without control characters, "/"-separated, no empty, "." or ".." segment. */
export function checkKey(field: string, key: string): void {
  const bytes = new TextEncoder().encode(key).byteLength
  if (bytes === 0 || bytes > MAX_KEY_BYTES) throw invalid(field, `an object key has 1 to ${MAX_KEY_BYTES} bytes`)
  if (CONTROL.test(key)) throw invalid(field, 'an object key has no control characters')
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(field, `invalid object key ${JSON.stringify(key)} (empty, "." or ".." segment)`)
  }
}
