import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RUNTIMES } from '../../internal/shell/runtime/launch.ts'
import { bundleFor, removeDir, startGateway, startOrigin, waitFor, writeBundle } from './harness.ts'

const ROUTE_ITEMS = `  - id: get-item
    match: { method: GET, path: "/v1/items/{id}" }
    http: origin
  - id: slow
    match: { method: GET, path: "/demo/delay/{ms}" }
    http: origin
`
const ROUTE_ECHO = `  - id: echo
    match: { path: "/demo/echo/{rest=**}" }
    http: origin
`

describe.each(RUNTIMES)('gateway lifecycle on %s', (runtime) => {
  let origin: Awaited<ReturnType<typeof startOrigin>>
  const dirs: string[] = []

  beforeAll(async () => {
    origin = await startOrigin()
  })
  afterAll(async () => {
    await origin?.drain(1000)
    await Promise.all(dirs.map(removeDir))
  })

  it('drains on SIGTERM: readiness fails, the request in flight finishes, exit code 0', async () => {
    const dir = await writeBundle(bundleFor(origin.url, ROUTE_ITEMS))
    dirs.push(dir)
    const gw = await startGateway(runtime, dir, ['--drain-deadline', '10000'])
    const inFlight = fetch(`${gw.url}/demo/delay/1500`)
    await new Promise((r) => setTimeout(r, 400)) // the request is now waiting on the slow upstream
    gw.child.kill('SIGTERM')
    await waitFor('the drain log line', () => gw.lines.find((l) => l.msg === 'draining'))
    // New connections are refused (or answered 503 not-ready while the listener closes).
    const probe = await fetch(`${gw.url}/health/ready`).then((r) => r.status, () => 'refused')
    expect([503, 'refused']).toContain(probe)
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ delayedMs: 1500 })
    expect(await gw.exited).toBe(0)
  })

  it('exits at once (130) on a second signal during the drain', async () => {
    const dir = await writeBundle(bundleFor(origin.url, ROUTE_ITEMS))
    dirs.push(dir)
    const gw = await startGateway(runtime, dir, ['--drain-deadline', '20000'])
    const inFlight = fetch(`${gw.url}/demo/delay/10000`).catch(() => 'cut')
    await new Promise((r) => setTimeout(r, 400))
    const started = Date.now()
    gw.child.kill('SIGTERM')
    await waitFor('the drain log line', () => gw.lines.find((l) => l.msg === 'draining'))
    gw.child.kill('SIGTERM')
    expect(await gw.exited).toBe(130)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await inFlight).toBe('cut')
  })

  it('hot-reloads a valid bundle and refuses a broken one, still serving the old', async () => {
    const dir = await writeBundle(bundleFor(origin.url, ROUTE_ITEMS))
    dirs.push(dir)
    const gw = await startGateway(runtime, dir)
    try {
      expect((await fetch(`${gw.url}/demo/echo/x`)).status).toBe(404)
      const hashBefore = gw.lines.find((l) => l.msg === 'bundle applied')?.hash

      await writeBundle(bundleFor(origin.url, ROUTE_ITEMS + ROUTE_ECHO), dir)
      await waitFor('the new route', async () => (await fetch(`${gw.url}/demo/echo/x`)).status === 200)
      const applied = await waitFor('the second "bundle applied" line', () =>
        gw.lines.filter((l) => l.msg === 'bundle applied').at(1),
      )
      expect(applied).toMatchObject({ previous: hashBefore })

      // A typo: the old bundle keeps serving, the log says what and where.
      await writeBundle({ 'bundle.yaml': bundleFor(origin.url, ROUTE_ITEMS + ROUTE_ECHO)['bundle.yaml']!.replace('http: origin', 'http: orign') }, dir)
      const refused = await waitFor('the refusal', () => gw.lines.find((l) => l.msg === 'bundle refused; still serving the previous one'))
      expect(refused.problems).toEqual([
        expect.stringMatching(/bundle\.yaml:12:11: unknown service "orign" \(did you mean "origin"\?\) \(at routes\[0\]\.http\)$/),
      ])
      expect((await fetch(`${gw.url}/demo/echo/x`)).status).toBe(200)
      expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200)
      const metrics = await (await fetch(`${gw.url}/metrics`)).text()
      expect(metrics).toMatch(/^gatehouse_bundle_reloads_total\{result="refused"\} [1-9]/m)
    } finally {
      await gw.stop()
    }
  })

  it('starts not ready when the bundle is broken, and becomes ready once it is fixed', async () => {
    const good = bundleFor(origin.url, ROUTE_ITEMS)
    const dir = await writeBundle({ 'bundle.yaml': good['bundle.yaml']!.replace('routes:', 'routez:') })
    dirs.push(dir)
    const gw = await startGateway(runtime, dir)
    try {
      const res = await fetch(`${gw.url}/health/ready`)
      expect(res.status).toBe(503)
      expect(JSON.stringify(await res.json())).toContain('no valid policy bundle')
      expect((await fetch(`${gw.url}/v1/items/1`)).status).toBe(503)
      await writeBundle(good, dir)
      await waitFor('readiness', async () => (await fetch(`${gw.url}/health/ready`)).status === 200)
      expect((await fetch(`${gw.url}/v1/items/1`)).status).toBe(200)
    } finally {
      await gw.stop()
    }
  })
})
