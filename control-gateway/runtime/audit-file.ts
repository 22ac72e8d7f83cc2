import { mkdir, open, readFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDir, writeFully } from '../../internal/shell/runtime/durable-files.ts'
import type { AuditEntry, AuditLog } from '../src/audit.ts'

/**
 * The audit log as an append-only JSON-lines file: each record is one write followed by
 * fdatasync before the call that made it answers. A torn last line (a crash mid-write, never
 * acknowledged) is cut off when the file is opened. Appends are serialised.
 */
export async function openAuditFile(path: string): Promise<AuditLog & { close(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true })
  const existing = await readFile(path, 'utf8').catch((err: { code?: string }) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  const handle: FileHandle = await open(path, 'a+')
  if (existing === undefined) await fsyncDir(dirname(path))
  else if (existing !== '' && !existing.endsWith('\n')) {
    await handle.truncate(Buffer.byteLength(existing.slice(0, existing.lastIndexOf('\n') + 1)))
    await handle.sync()
  }
  let tail: Promise<void> = Promise.resolve()

  return {
    append(entry) {
      const line = new TextEncoder().encode(`${JSON.stringify(entry)}\n`)
      const done = tail.then(async () => {
        await writeFully(handle, line)
        await handle.datasync()
      })
      tail = done.catch(() => {})
      return done
    },
    async recent(limit) {
      await tail
      const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
      return lines
        .slice(-limit)
        .reverse()
        .map((l) => JSON.parse(l) as AuditEntry)
    },
    async close() {
      await tail
      await handle.close()
    },
  }
}
