// The edge gateway's side of the subscription (gateway/src/control/control-source.ts) against the
// real ControlService in memory. It lives here because the gateway never imports the control gateway.
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../internal/shell/access-log.ts'
import { controlHarness, files } from './testing.ts'
import { loadBundle } from '../../gateway/src/bundle/load.ts'
import { createControlSource } from '../../gateway/src/control/control-source.ts'

const waitUntil = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20))
}

describe('createControlSource', () => {
  it('reads the pushed bundle, follows changes, reports what runs or why it refused, and drains on request', async () => {
    const h = controlHarness()
    const admin = await h.client()
    const one = await admin.applyBundle({ files: files('one'), expectedHash: '' })
    let drained = 0
    const lines: string[] = []
    const source = createControlSource({
      transport: await h.transport('bundle:read', 'gateway'),
      token: undefined, // the harness transport already carries one
      nodeId: 'gw-1',
      label: 'eu',
      log: createLogger((line) => lines.push(line), 'gateway'),
      onDrain: () => drained++,
    })
    try {
      expect((await loadBundle(await source.read())).hash).toBe(one.version?.hash)
      let changes = 0
      source.watch(() => changes++)
      const two = await admin.applyBundle({ files: files('two'), expectedHash: one.version?.hash ?? '', canaryLabel: 'eu' })
      await waitUntil(() => changes > 0)
      expect((await loadBundle(await source.read())).hash).toBe(two.version?.hash)

      source.report?.({ running: one.version?.hash, problems: ['policies/a.yaml:1:1: broken'] })
      await waitUntil(async () => (await admin.getStatus({})).nodes[0]?.problems.length === 1)
      expect((await admin.getStatus({})).nodes).toMatchObject([{ nodeId: 'gw-1', label: 'eu', runningHash: one.version?.hash, converged: false, connected: true }])

      await admin.drainNode({ nodeId: 'gw-1' })
      await waitUntil(() => drained > 0)
      expect(drained).toBe(1)
    } finally {
      source.close()
      h.close()
    }
  })

  it('fails the first read when no bundle arrives in time (the gateway then starts unready)', async () => {
    const h = controlHarness()
    const source = createControlSource({
      transport: await h.transport('bundle:read'),
      token: undefined,
      nodeId: 'gw-2',
      label: '',
      log: createLogger(() => {}, 'gateway'),
      firstBundleTimeoutMs: 50,
    })
    try {
      await expect(source.read()).rejects.toThrow(/no bundle received/)
    } finally {
      source.close()
      h.close()
    }
  })
})
