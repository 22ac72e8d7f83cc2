/** What the control gateway keeps in the metadata service (JSON values), and their keys. */
import type { SourceFile } from '../../gateway/src/bundle/types.ts'

/** Every key lives under this prefix. */
export const PREFIX = 'control/bundle/'
/** The current pointer: stable and canary versions (with their files), and the last version number. */
export const HEAD_KEY = `${PREFIX}head`
/** `control/bundle/versions/000000000042`: zero-padded so that key order is version order. */
export const versionKey = (version: number) => `${PREFIX}versions/${String(version).padStart(12, '0')}`
export const VERSIONS_PREFIX = `${PREFIX}versions/`

export interface StoredVersion {
  readonly version: number
  readonly hash: string
  readonly files: readonly SourceFile[]
  /** ISO 8601. */
  readonly createdAt: string
  readonly author: string
  readonly reason: string
  /** Set while (or when) it was applied as a canary. */
  readonly canaryLabel: string
  /** For a rollback: the version whose files it applied again; 0 otherwise. */
  readonly rollbackOf: number
}

/**
 * The one record every change compares-and-sets, so concurrent changes serialise on it. It holds
 * the files of what runs (not only version numbers) so that a crash between writing it and
 * writing the version record loses nothing: the version record is repaired from it.
 */
export interface Head {
  readonly latest: number
  readonly stable: StoredVersion | undefined
  readonly canary: StoredVersion | undefined
}

export const EMPTY_HEAD: Head = { latest: 0, stable: undefined, canary: undefined }

/** What an apply must expect: the canary's hash while one runs, else the stable one's ('' before any). */
export const headHash = (head: Head): string => head.canary?.hash ?? head.stable?.hash ?? ''

/** The bundle a gateway with `label` should run. */
export function desiredFor(head: Head, label: string): StoredVersion | undefined {
  return head.canary && label !== '' && head.canary.canaryLabel === label ? head.canary : head.stable
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
export const decodeJson = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T
