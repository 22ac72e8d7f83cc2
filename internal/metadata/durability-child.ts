import { openLogStore } from './log-store.ts'

/**
 * The writer that durability.test.ts kills with SIGKILL: puts records in a loop on a log store
 * and prints one line per acknowledged write, `<revision> <key>`, only after `put` resolved.
 * Write i (from 0) puts `valueOf(i)` under `keyOf(i)` at revision i + 1.
 * Usage: node --import tsx durability-child.ts <dir> <compactBytes>
 */
export const keyOf = (i: number): string => `k/${i % 64}`
export const valueOf = (i: number): string => `${i}:${'x'.repeat(i % 200)}`

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, compactBytes] = process.argv.slice(2)
  const store = await openLogStore({ dir: dir!, compactBytes: Number(compactBytes) })
  const encoder = new TextEncoder()
  for (let i = Number(await store.revision()); ; i++) {
    const { record } = await store.put(keyOf(i), encoder.encode(valueOf(i)))
    process.stdout.write(`${record.modRevision} ${record.key}\n`) // synchronous on a pipe (Linux)
  }
}
