import type { ServiceImpl } from '@connectrpc/connect'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { recordNotFound } from './errors.ts'
import { checkKey, checkNotNegative, checkPrefix, checkValue, pageLimit } from './keys.ts'
import { fenceEpoch, requireLeader, type LeaderInfo } from './leader.ts'
import { decodePageToken, encodePageToken } from './page-token.ts'
import { toProtoEvent, toProtoRecord } from './record-proto.ts'
import type { RecordStore } from './record-store.ts'

export interface MetadataServiceDeps {
  store: RecordStore
  node: LeaderInfo
  /** How long a watch stays silent before a progress notification (metadata.proto: about 10 s). */
  watchProgressMs?: number
}

/**
 * MetadataService over a RecordStore. Every call first checks leadership (UNAVAILABLE +
 * NotLeader), then validates its input (INVALID_ARGUMENT), then fences writes by epoch; only then
 * does it reach the store, so a rejected call changes nothing.
 */
export function createMetadataService(deps: MetadataServiceDeps): ServiceImpl<typeof MetadataService> {
  const { store, node } = deps
  const progressIntervalMs = deps.watchProgressMs ?? 10_000
  const header = (revision: bigint) => ({ revision, epoch: node.epoch() })

  return {
    async listRecords(req) {
      requireLeader(node)
      checkPrefix(req.prefix)
      const limit = pageLimit(req.pageSize)
      const after = decodePageToken(req.pageToken, req.prefix, 'prefix')
      const page = await store.list(req.prefix, { after, limit })
      const last = page.records.at(-1)
      return {
        records: page.records.map(toProtoRecord),
        nextPageToken: page.more && last ? encodePageToken(req.prefix, last.key) : '',
        header: header(page.revision),
      }
    },

    async *watchRecords(req, context) {
      requireLeader(node)
      checkPrefix(req.prefix)
      checkNotNegative('start_revision', req.startRevision)
      const batches = store.watch(req.prefix, req.startRevision, { signal: context.signal, progressIntervalMs })
      for await (const batch of batches) {
        requireLeader(node)
        yield { events: batch.events.map(toProtoEvent), header: header(batch.revision) }
      }
    },

    async getRecord(req) {
      requireLeader(node)
      checkKey(req.key)
      const { record, revision } = await store.get(req.key)
      if (!record) throw recordNotFound(req.key)
      return { record: toProtoRecord(record), header: header(revision) }
    },

    async putRecord(req) {
      requireLeader(node)
      checkKey(req.key)
      checkValue(req.value)
      if (req.expectedVersion !== undefined) checkNotNegative('expected_version', req.expectedVersion)
      fenceEpoch(node, req.epoch)
      // A copy: the decoded bytes are a view into the whole request buffer.
      const { record } = await store.put(req.key, req.value.slice(), req.expectedVersion)
      return { record: toProtoRecord(record), header: header(record.modRevision) }
    },

    async deleteRecord(req) {
      requireLeader(node)
      checkKey(req.key)
      if (req.expectedVersion !== undefined) checkNotNegative('expected_version', req.expectedVersion)
      fenceEpoch(node, req.epoch)
      const { revision } = await store.delete(req.key, req.expectedVersion)
      return { header: header(revision) }
    },
  }
}
