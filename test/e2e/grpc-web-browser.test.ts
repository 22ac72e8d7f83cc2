import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createClient } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { StorageService } from '../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import type { CallName, CallResult } from '../support/grpc-web-page.ts'
import { createTestIssuer, startRoleNodes } from '../support/rpc-nodes.ts'
import type { RoleNodes } from '../support/rpc-nodes.ts'
import { removeDir, ROOT, startGateway, waitFor, writeBundle } from './harness.ts'
import type { GatewayProcess } from './harness.ts'

/**
 * connect-web's gRPC-web transport in headless Chromium, on a page from another origin (a static
 * server on another port), calling storage and metadata nodes through `passthrough` routes. The
 * browser enforces CORS for real: a preflight for every call, and it only lets the client read
 * the grpc-status headers the gateway exposes.
 */

const issuer = await createTestIssuer()
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

function bundle(urls: RoleNodes['urls']): Record<string, string> {
  return {
    'bundle.yaml': `services:
  storage:
    endpoints: [{ url: ${urls.storage} }]
  processing:
    endpoints: [{ url: ${urls.processing} }]
  metadata:
    endpoints: [{ url: ${urls.metadata} }]
policies:
${issuer.policy}
routes:
  - id: delete-record
    match: { method: [POST, OPTIONS], path: /gatehouse.metadata.v1.MetadataService/DeleteRecord }
    policies: [auth]
    passthrough: metadata
  - id: metadata
    match: { method: [GET, POST, OPTIONS], path: "/gatehouse.metadata.v1.MetadataService/{method}" }
    passthrough: metadata
  - id: storage
    match: { method: [GET, POST, OPTIONS], path: "/gatehouse.storage.v1.StorageService/{method}" }
    passthrough: storage
  - id: processing
    match: { method: [GET, POST, OPTIONS], path: "/gatehouse.processing.v1.ProcessingService/{method}" }
    passthrough: processing
`,
  }
}

/** A static server for the page: `/` and the bundle built from test/support/grpc-web-page.ts. */
async function servePage(): Promise<{ server: Server; url: string }> {
  const built = await build({
    entryPoints: [join(ROOT, 'test/support/grpc-web-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  })
  const script = built.outputFiles[0]?.contents ?? new Uint8Array()
  const html = '<!doctype html><meta charset="utf-8"><title>gatehouse gRPC-web</title><script type="module" src="/page.js"></script>'
  const server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

let nodes: RoleNodes
let dir: string
let gw: GatewayProcess
let pageServer: Server
let browser: Browser
let page: Page

beforeAll(async () => {
  const [started, served, launched] = await Promise.all([
    startRoleNodes(['storage', 'processing', 'metadata']),
    servePage(),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 }),
  ])
  nodes = started
  pageServer = served.server
  browser = launched
  dir = await writeBundle(bundle(nodes.urls))
  gw = await startGateway('node', dir)

  // Data for the calls, written with a Node client straight to the nodes.
  const metadata = createClient(MetadataService, createConnectTransport({ baseUrl: nodes.urls.metadata ?? '', httpVersion: '1.1' }))
  await metadata.putRecord({ key: 'web/greeting', value: new TextEncoder().encode('hello, browser') })
  const storage = createClient(StorageService, createConnectTransport({ baseUrl: nodes.urls.storage ?? '', httpVersion: '1.1' }))
  await storage.createBucket({ bucket: 'web' })
  async function* upload() {
    yield { content: { case: 'header' as const, value: { bucket: 'web', key: 'poem.txt' } } }
    for (const line of ['roses are red\n', 'gateways are blue\n']) yield { content: { case: 'chunk' as const, value: new TextEncoder().encode(line) } }
  }
  await storage.putObject(upload())

  page = await browser.newPage()
  await page.goto(served.url)
  await page.waitForFunction(() => 'gatehouse' in globalThis, undefined, { timeout: 10_000 })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => pageServer?.close(resolve))
  await gw?.stop()
  await nodes?.stop()
  if (dir) await removeDir(dir)
})

function call(name: CallName): Promise<CallResult> {
  return page.evaluate(
    ([baseUrl, n]) => (globalThis as unknown as { gatehouse: { run(b: string, n: string): Promise<CallResult> } }).gatehouse.run(baseUrl, n),
    [gw.url, name] as const,
  )
}

describe('gRPC-web from a browser on another origin, through passthrough routes', () => {
  it('makes a unary call', async () => {
    expect(await call('unary')).toEqual({ ok: true, value: 'hello, browser' })
  })

  it('reaches the processing role: a task submitted, then watched as a server stream to its end', async () => {
    const result = await call('processingTask')
    const digest = createHash('sha256').update('roses are red\ngateways are blue\n').digest('hex')
    expect(result).toEqual({ ok: true, value: `SUCCEEDED:${digest}` })
  })

  it('reads a server stream', async () => {
    const result = await call('serverStream')
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.value).toMatch(/^\d+:roses are red\ngateways are blue\n$/)
  })

  it('sees a real status from the service (not_found), not "unknown"', async () => {
    expect(await call('notFound')).toMatchObject({ ok: false, code: 'NotFound' })
  })

  it('sees the status the gateway itself answers (unauthenticated from a jwt policy), not "unknown: missing trailer"', async () => {
    expect(await call('unauthenticated')).toMatchObject({ ok: false, code: 'Unauthenticated' })
  })

  it('went through real CORS preflights', async () => {
    // The access log is written in batches: wait for the lines rather than read them at once.
    const preflights = await waitFor('preflights in the access log', () => {
      const lines = gw.lines.filter((l) => l.method === 'OPTIONS')
      return lines.length > 0 ? lines : undefined
    })
    expect(preflights.every((l) => l.status === 204)).toBe(true)
  })
})
