import { Code, ConnectError } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import type { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { decodeJson, EMPTY_HEAD, encodeJson, HEAD_KEY, headHash, versionKey, VERSIONS_PREFIX } from './stored.ts'
import type { Head, StoredVersion } from './stored.ts'

/** The head record and its metadata version (0 = it does not exist yet), for compare-and-set. */
export interface ReadHead {
  readonly head: Head
  readonly recordVersion: bigint
  /** The store revision it was read at (watch from revision + 1 to miss nothing). */
  readonly revision: bigint
}

/** Another change came first: the caller's expected hash is stale. Nothing was written. */
export class StaleHead extends Error {
  override name = 'StaleHead'
  constructor(
    readonly expectedHash: string,
    readonly current: Head,
  ) {
    super(`STALE_EPOCH: expected bundle ${expectedHash || '(none)'} but ${headHash(current) || '(none)'} is current`)
  }
}

export interface Update {
  readonly before: Head
  readonly after: Head
  /** The store revision of the head write; 0 when nothing changed. */
  readonly revision: bigint
}

export interface BundleStore {
  readHead(): Promise<ReadHead>
  /**
   * Reads the head, checks `expectedHash` (undefined = no check), lets `change` compute the next
   * head (undefined = nothing to do), and compare-and-sets it; then writes the version records it
   * names. Throws StaleHead when the hash is stale or another write won the race.
   */
  update(expectedHash: string | undefined, change: (head: Head) => Head | undefined): Promise<Update>
  getVersion(version: number): Promise<StoredVersion | undefined>
  /** Newest first. */
  listVersions(limit: number): Promise<StoredVersion[]>
  /** Writes version records the head names but the store lacks (after a crash between the two writes). */
  repair(): Promise<void>
}

/** Bundle history and the current pointer in the metadata service (a client, best through the egress transport). */
export function createBundleStore(metadata: Client<typeof MetadataService>): BundleStore {
  const readHead = async (): Promise<ReadHead> => {
    try {
      const { record, header } = await metadata.getRecord({ key: HEAD_KEY })
      if (!record) return { head: EMPTY_HEAD, recordVersion: 0n, revision: header?.revision ?? 0n }
      return { head: decodeJson<Head>(record.value), recordVersion: record.version, revision: header?.revision ?? 0n }
    } catch (err) {
      if (ConnectError.from(err).code !== Code.NotFound) throw err
      // A missing record says nothing about the revision: watching from 1 replays the whole history.
      return { head: EMPTY_HEAD, recordVersion: 0n, revision: 0n }
    }
  }

  /** Writes the version records `head` names that `before` did not (the head itself is already durable). */
  const writeVersions = async (head: Head, before: Head): Promise<void> => {
    const known = new Set([before.stable?.version, before.canary?.version])
    for (const version of [head.stable, head.canary]) {
      if (version && !known.has(version.version)) await metadata.putRecord({ key: versionKey(version.version), value: encodeJson(version) })
    }
  }

  return {
    readHead,
    async update(expectedHash, change) {
      const { head, recordVersion } = await readHead()
      if (expectedHash !== undefined && expectedHash !== headHash(head)) throw new StaleHead(expectedHash, head)
      const next = change(head)
      if (!next) return { before: head, after: head, revision: 0n }
      let revision: bigint
      try {
        const put = await metadata.putRecord({ key: HEAD_KEY, value: encodeJson(next), expectedVersion: recordVersion })
        revision = put.record?.modRevision ?? 0n
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Aborted) throw err
        throw new StaleHead(expectedHash ?? headHash(head), (await readHead()).head)
      }
      await writeVersions(next, head)
      return { before: head, after: next, revision }
    },
    async getVersion(version) {
      try {
        const { record } = await metadata.getRecord({ key: versionKey(version) })
        return record ? decodeJson<StoredVersion>(record.value) : undefined
      } catch (err) {
        if (ConnectError.from(err).code === Code.NotFound) return undefined
        throw err
      }
    },
    async listVersions(limit) {
      const all: StoredVersion[] = []
      let pageToken = ''
      do {
        const page = await metadata.listRecords({ prefix: VERSIONS_PREFIX, pageSize: 1000, pageToken })
        for (const record of page.records) all.push(decodeJson<StoredVersion>(record.value))
        pageToken = page.nextPageToken
      } while (pageToken !== '')
      return all.reverse().slice(0, limit)
    },
    async repair() {
      const { head } = await readHead()
      for (const version of [head.stable, head.canary]) {
        if (version && !(await this.getVersion(version.version))) await writeVersions({ ...EMPTY_HEAD, stable: version }, EMPTY_HEAD)
      }
    },
  }
}
