import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectError, createClient, createRouterTransport, type Client } from '@connectrpc/connect'
import { afterEach, expect } from 'vitest'
import {
  MetadataService,
  RecordEventType,
  type WatchRecordsResponse,
} from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import type { Timers } from './change-signal.ts'
import { singleNode, type LeaderInfo } from './leader.ts'
import { openLogStore, type LogStore, type LogStoreOptions } from './log-store.ts'
import type { RecordStore } from './record-store.ts'
import { createMetadataService } from './service.ts'

/** Test helpers of the metadata role: imported only by *.test.ts. */

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (value: Uint8Array): string => new TextDecoder().decode(value)

/** A fresh directory per call, removed after the test. */
export function tempDirs(): () => Promise<string> {
  const made: string[] = []
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  })
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-metadata-'))
    made.push(dir)
    return dir
  }
}

/** `openLogStore`, with every store it opened closed after the test (register after `tempDirs()`). */
export function logStores(): (options: LogStoreOptions) => Promise<LogStore> {
  const opened: LogStore[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
  })
  return async (options) => {
    const store = await openLogStore(options)
    opened.push(store)
    return store
  }
}

/** A clock and timers the test moves by hand: `advance(ms)` runs every timer that falls due. */
export function manualTime(start = 1_700_000_000_000): { clock: () => number; timers: Timers; advance(ms: number): void } {
  let now = start
  let nextId = 0
  const pending = new Map<number, { at: number; run: () => void }>()
  return {
    clock: () => now,
    timers: {
      setTimeout(run, ms) {
        pending.set(++nextId, { at: now + ms, run })
        return nextId
      },
      clearTimeout: (id) => void pending.delete(id as number),
    },
    advance(ms) {
      now += ms
      for (const [id, t] of [...pending].sort(([, a], [, b]) => a.at - b.at)) {
        if (t.at > now || !pending.has(id)) continue
        pending.delete(id)
        t.run()
      }
    },
  }
}

export const LEADER_ADDRESS = 'http://127.0.0.1:7003'

export interface MetadataSetup {
  node?: LeaderInfo
  /** Decorates the store the service sees (e.g. to count open watches). */
  wrap?: (store: RecordStore) => RecordStore
}

/**
 * A MetadataService over a log store in a fresh directory, called in memory through
 * `createRouterTransport`. The node is `singleNode(LEADER_ADDRESS, 3n)`; progress every 50 ms.
 */
export function metadataSetup(): (o?: MetadataSetup) => Promise<{ store: LogStore; client: Client<typeof MetadataService> }> {
  const tempDir = tempDirs()
  const open = logStores()
  return async (o = {}) => {
    const store = await open({ dir: await tempDir() })
    const node = o.node ?? singleNode(LEADER_ADDRESS, 3n)
    const service = createMetadataService({ store: o.wrap?.(store) ?? store, node, watchProgressMs: 50 })
    const client = createClient(MetadataService, createRouterTransport(({ service: add }) => add(MetadataService, service)))
    return { store, client }
  }
}

/** The ConnectError a call rejects with. */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(ConnectError)
  return err as ConnectError
}

/** Reads `count` messages of a watch, then cancels it. */
export async function take(stream: AsyncIterable<WatchRecordsResponse>, count: number): Promise<WatchRecordsResponse[]> {
  const out: WatchRecordsResponse[] = []
  for await (const message of stream) if (out.push(message) === count) break
  return out
}

/** Reads a watch until it delivered `count` events (however they were batched), then cancels it. */
export async function takeEvents(stream: AsyncIterable<WatchRecordsResponse>, count: number): Promise<WatchRecordsResponse[]> {
  const out: WatchRecordsResponse[] = []
  let events = 0
  for await (const message of stream) {
    out.push(message)
    if ((events += message.events.length) >= count) break
  }
  return out
}

/** The events of watch messages as [type, key, mod_revision, value]. */
export const summary = (messages: WatchRecordsResponse[]): unknown[][] =>
  messages
    .flatMap((m) => m.events)
    .map((e) => [RecordEventType[e.type], e.record?.key, e.record?.modRevision, text(e.record?.value ?? new Uint8Array())])
