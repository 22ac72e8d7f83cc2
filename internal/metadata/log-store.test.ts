import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Code } from '@connectrpc/connect'
import { describe, expect, it } from 'vitest'
import { encodeFrame } from './frame.ts'
import { encodeEvent } from './log-codec.ts'
import type { LogStore } from './log-store.ts'
import type { StoredRecord } from './record-store.ts'
import { bytes, logStores, tempDirs, text } from './testing.ts'

const tempDir = tempDirs()
const openLogStore = logStores()

const segments = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort()
const lastSegment = async (dir: string) => join(dir, (await segments(dir)).at(-1)!)
const dump = async (store: LogStore) => (await store.list('', { limit: 1000 })).records
const values = (records: StoredRecord[]) => records.map((r) => [r.key, text(r.value), r.version, r.createRevision, r.modRevision])

async function filled(dir: string, o: { compactBytes?: number } = {}): Promise<LogStore> {
  const store = await openLogStore({ dir, ...o })
  await store.put('a', bytes('1'))
  await store.put('b', bytes('2'))
  await store.put('a', bytes('3'), 1n)
  await store.delete('b')
  await store.put('c', bytes('4'))
  return store
}

describe('log store', () => {
  it('recovers records, versions and revisions on reopen, and the history for watches', async () => {
    const dir = await tempDir()
    const before = await filled(dir)
    const expected = values(await dump(before))
    await before.close()
    const after = await openLogStore({ dir })
    expect(values(await dump(after))).toEqual(expected)
    expect(expected).toEqual([
      ['a', '3', 2n, 1n, 3n],
      ['c', '4', 1n, 5n, 5n],
    ])
    expect(await after.revision()).toBe(5n)
    expect((await after.put('b', bytes('5'))).record).toMatchObject({ version: 1n, createRevision: 6n })
    const watch = after.watch('', 1n, { signal: new AbortController().signal, progressIntervalMs: 1000 })
    for await (const batch of watch) {
      expect(batch.events.map((e) => e.type)).toEqual(['put', 'put', 'put', 'delete', 'put', 'put'])
      break
    }
  })

  it.each([
    ['a partial frame', (frame: Uint8Array) => frame.subarray(0, 11)],
    ['a partial header', (frame: Uint8Array) => frame.subarray(0, 5)],
    ['a whole frame with a bad checksum', (frame: Uint8Array) => frame.map((b, i) => (i === frame.length - 1 ? b ^ 0xff : b))],
    ['zeros (an extended file never written)', (frame: Uint8Array) => new Uint8Array(frame.length)],
  ])('cuts a torn tail (%s) on recovery and appends after it', async (_, tear) => {
    const dir = await tempDir()
    const store = await filled(dir)
    await store.close()
    const path = await lastSegment(dir)
    const clean = (await stat(path)).size
    const next = { type: 'put' as const, record: { key: 'torn', value: bytes('x'), version: 1n, createRevision: 6n, modRevision: 6n, createTime: 1, updateTime: 1 } }
    await appendFile(path, tear(encodeFrame(encodeEvent(next))))
    const reopened = await openLogStore({ dir })
    expect((await stat(path)).size).toBe(clean)
    expect(await reopened.revision()).toBe(5n)
    expect((await reopened.get('torn')).record).toBeUndefined()
    await reopened.put('after', bytes('y'))
    await reopened.close()
    const again = await openLogStore({ dir })
    expect((await again.get('after')).record?.modRevision).toBe(6n)
  })

  it('refuses to open (DATA_LOSS) when a frame before the end is damaged', async () => {
    const dir = await tempDir()
    await (await filled(dir)).close()
    const path = await lastSegment(dir)
    const file = await readFile(path)
    file[12] = file[12]! ^ 0xff // inside the first frame's payload
    await writeFile(path, file)
    await expect(openLogStore({ dir })).rejects.toMatchObject({ code: Code.DataLoss })
  })

  it('compacts by snapshot: the same state after reopen, a smaller log, older history OUT_OF_RANGE', async () => {
    const dir = await tempDir()
    const store = await openLogStore({ dir, compactBytes: 1 << 30 })
    for (let i = 0; i < 300; i++) await store.put(`k/${i % 10}`, bytes(`value ${i}`.padEnd(100, '.')))
    await store.delete('k/3')
    const logBefore = (await stat(await lastSegment(dir))).size
    const state = values(await dump(store))
    await store.compact()
    expect(await readdir(dir)).toEqual(['snapshot-00000000000000000301.snap', 'wal-00000000000000000302.log'])
    await store.close()

    const reopened = await openLogStore({ dir })
    expect(values(await dump(reopened))).toEqual(state)
    expect(await reopened.revision()).toBe(301n)
    const disk = (await stat(join(dir, 'snapshot-00000000000000000301.snap'))).size + (await stat(await lastSegment(dir))).size
    expect(disk).toBeLessThan(logBefore / 10)
    const old = reopened.watch('', 300n, { signal: new AbortController().signal, progressIntervalMs: 1000 })
    await expect(old[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: Code.OutOfRange })
    expect((await reopened.put('k/3', bytes('new'))).record).toMatchObject({ version: 1n, modRevision: 302n })
  })

  it('compacts on its own once the segment reaches compactBytes', async () => {
    const dir = await tempDir()
    const store = await openLogStore({ dir, compactBytes: 2048 })
    for (let i = 0; i < 200; i++) await store.put(`k/${i % 5}`, bytes(String(i).repeat(20)))
    expect(store.logBytes()).toBeLessThan(2048 + 200)
    expect((await segments(dir)).length).toBe(1)
    const state = values(await dump(store))
    await store.close()
    expect(values(await dump(await openLogStore({ dir })))).toEqual(state)
  })
})
