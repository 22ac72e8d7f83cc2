import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { keyOf, valueOf } from './durability-child.ts'
import { logStores, tempDirs, text } from './testing.ts'

const tempDir = tempDirs()
const openLogStore = logStores()
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./durability-child.ts', import.meta.url))

/** Runs the writer until it acknowledged at least `acks` writes, then SIGKILLs it mid-run. */
function runAndKill(dir: string, acks: number): Promise<{ acked: bigint[]; msPerWrite: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, '16384'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const acked: bigint[] = []
  const times: number[] = []
  let buffered = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split('\n')
    buffered = lines.pop()! // an incomplete line is not an acknowledgement
    for (const line of lines) {
      acked.push(BigInt(line.split(' ')[0]!))
      times.push(performance.now())
    }
    if (acked.length >= acks) child.kill('SIGKILL')
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited with ${code}: ${stderr}`))
      resolve({ acked, msPerWrite: (times.at(-1)! - times[0]!) / (times.length - 1) })
    })
  })
}

describe('log store durability', () => {
  it('keeps every acknowledged write across kill -9, again and again (compacting meanwhile)', async () => {
    const dir = await tempDir()
    const rates: number[] = []
    for (const acks of [150, 400, 275]) {
      const before = await openLogStore({ dir })
      const start = await before.revision()
      await before.close()
      const { acked, msPerWrite } = await runAndKill(dir, acks)
      rates.push(msPerWrite)
      const last = acked.at(-1)!
      expect(acked[0]).toBe(start + 1n)
      expect(acked).toEqual(acked.map((_, i) => start + 1n + BigInt(i))) // one line per write, in order

      const store = await openLogStore({ dir })
      const revision = await store.revision()
      // Every acknowledged write is there; at most the one in flight at the kill is there too.
      expect(revision === last || revision === last + 1n).toBe(true)
      const latest = new Map<string, bigint>()
      for (let r = 1n; r <= revision; r++) latest.set(keyOf(Number(r - 1n)), r)
      for (const [key, modRevision] of latest) {
        const { record } = await store.get(key)
        expect([key, record?.modRevision, text(record?.value ?? new Uint8Array())]).toEqual([key, modRevision, valueOf(Number(modRevision - 1n))])
      }
      expect((await store.list('', { limit: 1000 })).records).toHaveLength(latest.size)
      await store.close()
    }
    console.info(`fsync per commit: ${rates.map((r) => r.toFixed(2)).join(' / ')} ms per acknowledged write`)
  }, 60_000)
})
