import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createSettler } from './settle.ts'

const POLICY_FILE = /\.ya?ml$/

/**
 * Polls a directory's policy files (name, size, mtime), and the files the served bundle's
 * policies read wherever they are (`extraFiles`), and calls `onChange` once they changed and settled (the same in two consecutive polls, so a save in progress is never loaded).
 * Polling, not fs.watch: it behaves the same on Node, Bun and Deno, survives editors' atomic
 * rename-on-save, and costs a few stat calls a second. Returns a function that stops it.
 */
export function watchPolicyDir(dir: string, intervalMs: number, onChange: () => void, extraFiles: () => readonly string[] = () => []): () => void {
  if (intervalMs <= 0) return () => {}
  const settled = createSettler()
  let busy = false
  const poll = async () => {
    if (busy) return
    busy = true
    try {
      if (settled(await snapshot(dir, extraFiles()))) onChange()
    } finally {
      busy = false
    }
  }
  void poll()
  const timer = setInterval(() => void poll(), intervalMs)
  return () => clearInterval(timer)
}

async function snapshot(dir: string, extraFiles: readonly string[]): Promise<string> {
  try {
    const names = (await readdir(dir)).filter((n) => POLICY_FILE.test(n)).sort()
    const paths = [...new Set([...names.map((name) => join(dir, name)), ...extraFiles])]
    const parts = await Promise.all(
      paths.map(async (path) => {
        const s = await stat(path).catch(() => undefined)
        return s ? `${path}:${s.size}:${s.mtimeMs}` : `${path}:gone`
      }),
    )
    return parts.join('|')
  } catch (err) {
    return `error:${(err as { code?: string }).code ?? 'unknown'}`
  }
}
