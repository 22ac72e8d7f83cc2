import { invalidArgument } from './errors.ts'

/**
 * Opaque page tokens: base64url of `{"v":1,"s":scope,"k":lastKey}`. `scope` binds the request
 * fields a token is valid with (the prefix, or a registry filter), `lastKey` is where the next
 * page starts (exclusive). `page_size` may change between pages (AIP-158).
 */

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

export function encodePageToken(scope: string, lastKey: string): string {
  return toBase64Url(encoder.encode(JSON.stringify({ v: 1, s: scope, k: lastKey })))
}

/**
 * The last key of the previous page, or undefined for an empty token. INVALID_ARGUMENT when the
 * token is not one of ours, or was issued for other request fields (`what` names them).
 */
export function decodePageToken(token: string, scope: string, what: string): string | undefined {
  if (token === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(fromBase64Url(token)))
  } catch {
    parsed = undefined
  }
  const t = parsed as { v?: unknown; s?: unknown; k?: unknown } | undefined
  if (typeof t !== 'object' || t === null || t.v !== 1 || typeof t.s !== 'string' || typeof t.k !== 'string') {
    throw invalidArgument('page_token is malformed: pass the next_page_token of the previous page unchanged')
  }
  if (t.s !== scope) {
    throw invalidArgument(`page_token was issued for a different ${what}: keep the other request fields unchanged between pages`)
  }
  return t.k
}
