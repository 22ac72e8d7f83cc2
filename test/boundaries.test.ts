import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './e2e/harness.ts'

/** Runtime-neutral code: it must run unchanged on Node, Bun and Deno. */
const NEUTRAL = ['gateway/src', 'control-gateway/src', 'internal/shell', 'internal/demo', 'internal/storage', 'internal/node']
/** Where runtime-specific code is allowed (inside the neutral trees). */
const RUNTIME_DIR = /(^|\/)runtime\//
const FORBIDDEN: readonly [RegExp, string][] = [
  [/from ['"]node:/, 'a node: import'],
  [/\bprocess\.(env|argv|exit|on|stdout|stderr|versions)\b/, 'process'],
  [/\bBuffer\./, 'Buffer'],
  [/\bBun\./, 'Bun'],
  [/\bDeno\./, 'Deno'],
  [/from ['"](undici|@hono\/node-server|ioredis)/, 'a runtime-specific package'],
]

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((path) => !RUNTIME_DIR.test(path))
}

describe('runtime boundaries', () => {
  it('keeps node:, process, Buffer, Bun, Deno and runtime packages out of runtime-neutral code', async () => {
    const violations: string[] = []
    for (const dir of NEUTRAL) {
      for (const file of await sources(dir)) {
        const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n')
        lines.forEach((line, i) => {
          for (const [pattern, what] of FORBIDDEN) if (pattern.test(line)) violations.push(`${file}:${i + 1}: ${what}`)
        })
      }
    }
    expect(violations).toEqual([])
  })

  it('checks a non-trivial set of files', async () => {
    expect((await sources('gateway/src')).length).toBeGreaterThan(15)
    expect((await sources('internal/shell')).length).toBeGreaterThan(8)
  })
})
