/**
 * In-process cost of the `waf` policy on benign traffic: a browser/API GET and a small JSON POST
 * run through the policy middleware (a Hono app, as in index.test.ts) against the same app
 * without the policy; the difference is the WAF's cost (the app's requests repeat their headers,
 * as one client's do). Also times `inspect()` alone (value extraction included), with the
 * cross-request memo (a repeat client) and without it (every value new).
 *
 *   node --import tsx gateway/src/policies/waf/bench-waf.ts [iterations]   (or: bun <file>)
 *
 * Reports the best of several batches in process CPU time (the machine is shared: the minimum
 * CPU time is the steadiest figure).
 */
import { Hono } from 'hono'
import { requestBodyOf } from '../../../request-body.ts'
import type { GatewayEnv } from '../../../env.ts'
import { testInit } from '../../testing.ts'
import { BASE_RULES } from '../base-rules.ts'
import { bodyValues } from '../body-values.ts'
import { headerEntries } from '../header-entries.ts'
import { waf } from '../index.ts'
import { inspect } from '../inspect.ts'
import { requestValues } from '../request-values.ts'
import { indexRules } from '../rule-index.ts'
import type { RuleIndex } from '../rule-index.ts'
import { compileRule } from '../rule-set.ts'

const N = Number(process.argv[2] ?? 4000)
const BATCHES = 7

const JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImJlbmNoLTEifQ.eyJpc3MiOiJodHRwczovL2lkLmJlbmNoLnRlc3QvIiwiYXVkIjoiYmVuY2giLCJzdWIiOiJ1c2VyLTQyIiwidGlkIjoiYWNtZSIsInNjb3BlIjoiYmVuY2g6cmVhZCIsImlhdCI6MTc2MzY4MDAwMCwiZXhwIjoxNzYzNjgzNjAwfQ.MEUCIQDx3kqL9v0bXoT2yq8eVQ2rNsl1n7dXcB0tW6jYp4cZ1QIgJ4Jc9hU3r7mG0f8Pq2sVw5tYk1nL3bH6xR0dE9aZ_k'

const GET_HEADERS: Record<string, string> = {
  host: 'api.example.com',
  'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
  'accept-encoding': 'gzip, deflate, br, zstd',
  cookie: 'session=3f9a1c7e2b8d4f6a9c0e1b2d3f4a5b6c; theme=dark; _ga=GA1.2.1234567890.1700000000',
  authorization: `Bearer ${JWT}`,
  'x-request-id': '7b2e4c1a-9f3d-4e8b-a6c5-0d1f2e3a4b5c',
}
const GET_URL = 'http://api.example.com/v1/products?page=2&sort=name&q=blue+shoes'
const POST_URL = 'http://api.example.com/v1/orders'
const POST_BODY = JSON.stringify({ productId: 'prod_8f2a91', quantity: 2, note: 'Please leave it at the door, thanks!', gift: false, tags: ['spring', 'sale'] })

const getRequest = () => new Request(GET_URL, { headers: GET_HEADERS })
const postRequest = () =>
  new Request(POST_URL, { method: 'POST', headers: { ...GET_HEADERS, 'content-type': 'application/json' }, body: POST_BODY })

function app(withWaf: boolean) {
  const a = new Hono<GatewayEnv>()
  a.use('*', async (c, next) => {
    c.set('requestId', 'req-1')
    c.set('routeId', 'bench')
    await next()
  })
  if (withWaf) a.use('*', waf.create(waf.options.parse({}), testInit('waf')))
  a.all('*', async (c) => {
    const body = requestBodyOf(c) // what the proxy would send upstream
    if (body !== null) await new Response(body as BodyInit).arrayBuffer()
    return c.text('ok')
  })
  return a
}

/** Best CPU µs per call (user + system: steadier than wall time on a shared machine) over BATCHES batches of N calls. */
async function best(run: () => Promise<unknown> | unknown): Promise<number> {
  let min = Infinity
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.cpuUsage()
    for (let i = 0; i < N; i++) await run()
    const t = process.cpuUsage(t0)
    min = Math.min(min, (t.user + t.system) / N)
  }
  return min
}

const compiled = BASE_RULES.filter((r) => r.paranoia <= 1).map(compileRule)
/** As a policy instance runs: header and cookie values a client repeats are remembered (value-memo.ts). */
const rules = indexRules(compiled)
/** Every value evaluated, as for a client seen for the first time. */
const cold = indexRules(compiled, false)
const limits = { allowedMethods: new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']), maxHeaders: 100, maxHeaderBytes: 8192 }
const getReq = getRequest()
const postReq = postRequest()
/** What the middleware does for a request: its header fields once, its values, the rules. */
function inspectGet(index: RuleIndex): unknown {
  const fields = headerEntries(getReq, undefined)
  return inspect(index, [], limits, getReq, requestValues(getReq, fields), fields)
}
function inspectPost(index: RuleIndex): unknown {
  const fields = headerEntries(postReq, undefined)
  const values = requestValues(postReq, fields)
  bodyValues('application/json', POST_BODY, values)
  return inspect(index, [], limits, postReq, values, fields)
}

const plain = app(false)
const guarded = app(true)
for (const [label, make] of [
  ['GET', getRequest],
  ['POST json', postRequest],
] as const) {
  const status = (await guarded.request(make())).status
  if (status !== 200) throw new Error(`${label}: the benign request got ${status}`)
}

const rows: [string, number][] = []
rows.push(['inspect() GET, repeat client', await best(() => inspectGet(rules))])
rows.push(['inspect() GET, new client', await best(() => inspectGet(cold))])
rows.push(['inspect() POST json, repeat client', await best(() => inspectPost(rules))])
rows.push(['inspect() POST json, new client', await best(() => inspectPost(cold))])
const getPlain = await best(() => plain.request(getRequest()))
const getWaf = await best(() => guarded.request(getRequest()))
const postPlain = await best(() => plain.request(postRequest()))
const postWaf = await best(() => guarded.request(postRequest()))
rows.push(['app GET: waf - plain', getWaf - getPlain], ['app POST json: waf - plain', postWaf - postPlain])
rows.push(['(app GET plain)', getPlain], ['(app POST plain)', postPlain])

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : `node ${process.versions.node}`
console.log(`waf micro-benchmark, ${runtime}, CPU µs per request, best of ${BATCHES} x ${N}`)
for (const [label, us] of rows) console.log(`${label.padEnd(34)} ${us.toFixed(1).padStart(7)} µs`)
