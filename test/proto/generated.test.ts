// proto/gen is what `npm run generate` makes from proto/ (byte for byte), and proto/ passes lint.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buf, listFiles, ROOT, tempWorkspace, workTreeProtos } from './buf.ts'

const temps: string[] = []
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('generated code', () => {
  it('proto/gen is up to date with proto/ (else: run `npm run generate`)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gatehouse-gen-'))
    temps.push(out)
    // -o prefixes the template's `out: proto/gen`, so nothing in the work tree is touched.
    const r = buf(['generate', '--template', 'proto/buf.gen.yaml', '-o', out])
    expect(r.status, r.stderr).toBe(0)
    const fresh = join(out, 'proto', 'gen')
    const committed = join(ROOT, 'proto', 'gen')
    const want = await listFiles(fresh)
    const have = await listFiles(committed).catch((): string[] => [])
    expect(want.length).toBeGreaterThanOrEqual(6)
    const stale: string[] = []
    for (const file of new Set([...want, ...have])) {
      if (!want.includes(file)) stale.push(`${file} (should not exist)`)
      else if (!have.includes(file)) stale.push(`${file} (missing)`)
      else if (!(await readFile(join(fresh, file))).equals(await readFile(join(committed, file)))) stale.push(file)
    }
    expect(stale, `proto/gen is stale: run \`npm run generate\` (differs: ${stale.join(', ')})`).toEqual([])
  })
})

describe('lint', () => {
  it('passes on proto/ (buf STANDARD + COMMENTS)', () => {
    const r = buf(['lint', 'proto'])
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })

  it('reports a badly named field and an undocumented one (so the rules above are really on)', async () => {
    const probe = `syntax = "proto3";
package gatehouse.probe.v1;
// A documented message.
message Probe {
  // A documented field.
  string good_name = 1;
  // A documented field, badly named.
  string badName = 2;
  string undocumented = 3;
}
`
    const protos = new Map([...(await workTreeProtos()), ['gatehouse/probe/v1/probe.proto', probe]])
    const dir = await tempWorkspace(protos, 'lint')
    temps.push(dir)
    const r = buf(['lint', 'proto', '--error-format', 'json'], dir)
    expect(r.status, r.stdout + r.stderr).toBe(100)
    const found = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string; type: string })
    expect(found.map((f) => `${f.path} ${f.type}`).sort()).toEqual([
      'proto/gatehouse/probe/v1/probe.proto COMMENT_FIELD',
      'proto/gatehouse/probe/v1/probe.proto FIELD_LOWER_SNAKE_CASE',
    ])
  })
})
