import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadBundle } from '../../gateway/src/bundle/load.ts'

// The bundles `npm run bench:pairs` takes must stay valid as the policy options change.
const DIR = fileURLToPath(new URL('pairs/', import.meta.url))
const files = readdirSync(DIR).filter((name) => name.endsWith('.yaml'))

describe('bench:pairs bundles', () => {
  it('has some', () => {
    expect(files.length).toBeGreaterThan(0)
  })

  it.each(files)('%s loads, with two or more routes on distinct literal paths', async (name) => {
    const text = readFileSync(join(DIR, name), 'utf8').replaceAll('{{origin}}', 'http://127.0.0.1:9')
    const bundle = await loadBundle([{ path: name, text }])
    const paths = bundle.routes.map((r) => r.match.path ?? '')
    expect(paths.length).toBeGreaterThanOrEqual(2)
    expect(new Set(paths).size).toBe(paths.length)
    for (const path of paths) expect(path).toMatch(/^\/[^{}*]*$/)
  })
})
