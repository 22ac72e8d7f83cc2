import { describe, expect, it } from 'vitest'
import { RUNTIMES } from '../../internal/shell/runtime/launch.ts'
import { gatewayFixture } from './harness.ts'

const MiB = 1024 * 1024
const UPLOAD = 1024 * MiB
const DOWNLOAD = 256 * MiB

const ROUTES = `  - id: upload
    match: { method: POST, path: /demo/upload }
    timeout: 60s
    http: origin
  - id: bytes
    match: { method: GET, path: "/demo/bytes/{n}" }
    http: origin
`

/** `total` bytes in 1 MiB chunks, chunk i filled with (i % 251); generated lazily, never held whole. */
function patternBody(total: number): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i * MiB >= total) return controller.close()
      controller.enqueue(new Uint8Array(Math.min(MiB, total - i * MiB)).fill(i % 251))
      i++
    },
  })
}

/* Count and byte sum prove the whole body arrived intact; peak RSS proves it was never held whole. */
describe.each(RUNTIMES)('streaming through the gateway on %s', (runtime) => {
  const f = gatewayFixture(runtime, ROUTES)

  it('streams a 1 GiB upload without buffering it', async () => {
    const before = await f.gw.memory()
    const res = await fetch(`${f.gw.url}/demo/upload`, {
      method: 'POST',
      body: patternBody(UPLOAD),
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(200)
    const { bytes, sum } = (await res.json()) as { bytes: number; sum: number }
    expect(bytes).toBe(UPLOAD)
    let expected = 0
    for (let i = 0; i * MiB < UPLOAD; i++) expected += Math.min(MiB, UPLOAD - i * MiB) * (i % 251)
    expect(sum).toBe(expected)
    const after = await f.gw.memory()
    // Peak resident memory may grow by buffers, never by the body: well under 1 GiB.
    expect(after.peak - before.rss).toBeLessThan(200 * MiB)
  })

  it('streams a 256 MiB download', async () => {
    const res = await fetch(`${f.gw.url}/demo/bytes/${DOWNLOAD}`)
    expect(res.status).toBe(200)
    // Bun.serve drops Content-Length on streamed bodies and sends them chunked (oven-sh/bun#10507).
    expect(res.headers.get('content-length')).toBe(runtime === 'bun' ? null : String(DOWNLOAD))
    let received = 0
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) received += chunk.length
    expect(received).toBe(DOWNLOAD)
  })
  it('holds a download back while the client does not read (backpressure, bounded memory)', async () => {
    const before = await f.gw.memory()
    const controller = new AbortController()
    const res = await fetch(`${f.gw.url}/demo/bytes/${1024 * MiB}`, { signal: controller.signal })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    expect((await reader.read()).done).toBe(false)
    // The origin could send the whole GiB in this time; the gateway must stop pulling it instead.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const after = await f.gw.memory()
    controller.abort()
    expect(after.peak - before.rss).toBeLessThan(200 * MiB)
  })
})
