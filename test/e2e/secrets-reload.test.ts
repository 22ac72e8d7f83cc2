import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFor, removeDir, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

const digest = (key: string) => createHash('sha256').update(key).digest('hex')
const keyFile = (...entries: [id: string, key: string][]) =>
  `keys:\n${entries.map(([id, key]) => `  - { id: ${id}, sha256: ${digest(key)}, subject: ${id} }\n`).join('')}`

/**
 * A file a policy reads (here the api-key secrets file, outside the policy directory) is watched
 * with the bundle: rotating keys needs no policy change, and a broken file is refused like a broken
 * bundle while the previous keys keep working.
 */
describe('a change to a secrets file alone reloads the bundle (Node gateway)', () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>
  let policies: string
  let secrets: string
  let gw: GatewayProcess

  beforeAll(async () => {
    origin = await startOrigin()
    secrets = await mkdtemp(join(tmpdir(), 'gatehouse-secrets-'))
    await writeFile(join(secrets, 'keys.yaml'), keyFile(['old', 'old-key-0123456789']))
    policies = await writeBundle(
      bundleFor(origin.url, '  - id: machine\n    match: { path: /demo/echo/m }\n    policies: [machine-key]\n    http: origin\n', `policies:\n  machine-key:\n    type: api-key\n    keysFile: ${join(secrets, 'keys.yaml')}\n`),
    )
    gw = await startGateway('node', policies)
  })
  afterAll(async () => {
    await gw?.stop()
    await origin?.drain(1000)
    await Promise.all([policies && removeDir(policies), secrets && removeDir(secrets)])
  })

  const status = async (key: string) => (await fetch(`${gw.url}/demo/echo/m`, { headers: { 'x-api-key': key } })).status

  it('rotates keys when only the secrets file changes, and refuses a broken file keeping the last good keys', async () => {
    expect(await status('old-key-0123456789')).toBe(200)
    expect(await status('new-key-0123456789')).toBe(401)

    await writeFile(join(secrets, 'keys.yaml'), keyFile(['new', 'new-key-0123456789']))
    await waitFor('the new key to work', async () => (await status('new-key-0123456789')) === 200)
    expect(await status('old-key-0123456789')).toBe(401)

    await writeFile(join(secrets, 'keys.yaml'), 'keys:\n  - { id: broken, key: plain-text-key }\n')
    const refused = await waitFor('the broken file to be refused', () => gw.lines.find((l) => l.msg === 'bundle refused; still serving the previous one'))
    expect(JSON.stringify(refused.problems)).toContain('keys.yaml')
    await new Promise((resolve) => setTimeout(resolve, 400)) // a few more polls: nothing else gets applied
    expect(gw.lines.slice(gw.lines.indexOf(refused)).some((l) => l.msg === 'bundle applied')).toBe(false)
    expect(await status('new-key-0123456789')).toBe(200)
  })
})
