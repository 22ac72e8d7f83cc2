import type { HandlerContext, Transport } from '@connectrpc/connect'
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect'
import { MetadataService, NotLeaderSchema } from '../../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { RegistryService } from '../../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { StorageService } from '../../../proto/gen/gatehouse/storage/v1/storage_pb.ts'
import { createEgressTransport } from './client.ts'
import { sleep } from './deadline.ts'
import { createStaticEndpoints } from './discovery.ts'
import type { Endpoint } from './discovery.ts'
import type { EgressOptions } from './options.ts'

/**
 * Test harness, imported only by *.test.ts: fake nodes serving the real RegistryService and
 * MetadataService over `createRouterTransport` (one router per endpoint URL), each failing on
 * demand. Every answer names the node, so a test sees which endpoint served a call.
 */

export type NodeMode =
  | 'ok'
  /** The handler throws UNAVAILABLE (the request reached the node). */
  | 'unavailable'
  /** The transport rejects as fetch does on a refused connection: nothing was sent. */
  | 'refused'
  /** UNAVAILABLE + NotLeader naming `leader` (undefined: no leader known). */
  | { notLeader: string | undefined }
  /** The handler throws this code (an application error such as NOT_FOUND). */
  | { code: Code }

export interface FakeNode {
  readonly url: string
  mode: NodeMode
  /** Handler latency; the handler gives up early when the call is aborted. */
  delayMs: number
  /** When set, handlers wait for it before answering (to hold calls in flight). */
  gate: Promise<void> | undefined
  /** Methods called, in order (a refused call is not recorded: it never arrived). */
  readonly calls: string[]
  readonly headers: Headers[]
  /** `ctx.timeoutMs()` as each handler saw it (the propagated deadline). */
  readonly timeouts: (number | undefined)[]
  /** Server streams: messages to send before failing with UNAVAILABLE (undefined = never fail). */
  failStreamAfter: number | undefined
}

export interface FakeCluster {
  node(url: string): FakeNode
  transportFor(url: string): Transport
  /** Calls that reached any node. */
  total(): number
}

export function createFakeCluster(urls: readonly string[]): FakeCluster {
  const nodes = new Map<string, FakeNode>()
  for (const url of urls) {
    nodes.set(url, { url, mode: 'ok', delayMs: 0, gate: undefined, calls: [], headers: [], timeouts: [], failStreamAfter: undefined })
  }
  const node = (url: string): FakeNode => {
    const n = nodes.get(url)
    if (!n) throw new Error(`no fake node ${url}`)
    return n
  }

  const serve = async (n: FakeNode, name: string, ctx: HandlerContext) => {
    n.calls.push(name)
    n.headers.push(new Headers(ctx.requestHeader))
    n.timeouts.push(ctx.timeoutMs())
    if (n.delayMs > 0) await sleep(n.delayMs, ctx.signal)
    if (n.gate) await n.gate
    const mode = n.mode
    if (mode === 'unavailable') throw new ConnectError(`${n.url} is down`, Code.Unavailable)
    if (typeof mode === 'object' && 'code' in mode) throw new ConnectError(`${n.url} says ${Code[mode.code]}`, mode.code)
    if (typeof mode === 'object') {
      const detail = { desc: NotLeaderSchema, value: { leaderAddress: mode.notLeader ?? '', epoch: 7n } }
      throw new ConnectError(`${n.url} is not the leader`, Code.Unavailable, undefined, [detail])
    }
  }

  const router = (n: FakeNode) =>
    createRouterTransport((r) => {
      r.service(RegistryService, {
        async listNodes(_req, ctx) {
          await serve(n, 'listNodes', ctx)
          return { nodes: [{ nodeId: n.url }] }
        },
        async registerNode(req, ctx) {
          await serve(n, 'registerNode', ctx)
          return { node: { nodeId: req.nodeId, address: n.url } }
        },
        async *watchNodes(_req, ctx) {
          await serve(n, 'watchNodes', ctx)
          for (let i = 0; ; i++) {
            if (n.failStreamAfter !== undefined && i >= n.failStreamAfter) throw new ConnectError(`${n.url} went away`, Code.Unavailable)
            if (i === 3) return
            yield { nodes: [{ nodeId: `${n.url}#${i}` }] }
          }
        },
      })
      r.service(StorageService, {
        async putObject(reqs, ctx) {
          let size = 0n
          for await (const m of reqs) if (m.content.case === 'chunk') size += BigInt(m.content.value.length)
          await serve(n, 'putObject', ctx)
          return { object: { key: n.url, size } }
        },
      })
      r.service(MetadataService, {
        async getRecord(req, ctx) {
          await serve(n, 'getRecord', ctx)
          return { record: { key: req.key, value: new TextEncoder().encode(n.url) } }
        },
        async putRecord(req, ctx) {
          await serve(n, 'putRecord', ctx)
          return { record: { key: req.key, value: new TextEncoder().encode(n.url) } }
        },
      })
    })

  const refusing = (n: FakeNode, inner: Transport): Transport => {
    const refuse = () => {
      const cause = Object.assign(new Error(`connect ECONNREFUSED ${n.url}`), { code: 'ECONNREFUSED' })
      return Promise.reject(new ConnectError('fetch failed', Code.Unknown, undefined, undefined, new TypeError('fetch failed', { cause })))
    }
    return {
      unary: (...args) => (n.mode === 'refused' ? refuse() : inner.unary(...args)),
      stream: (...args) => (n.mode === 'refused' ? refuse() : inner.stream(...args)),
    }
  }

  return {
    node,
    transportFor: (url) => {
      const n = node(url)
      return refusing(n, router(n))
    },
    total: () => [...nodes.values()].reduce((sum, n) => sum + n.calls.length, 0),
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

/** The nodes' ids in a ListNodes answer: which endpoint served it. */
export const servedBy = (res: { nodes: { nodeId: string }[] }) => res.nodes[0]?.nodeId

/**
 * An egress transport over fake nodes (`extra`: nodes that exist but are not in discovery, e.g.
 * a leader), with clients of both services. Deterministic by default: round robin, and
 * `random = 0` (no backoff waits).
 */
export function egressOver(endpoints: readonly (string | Endpoint)[], options: Partial<EgressOptions> = {}, extra: readonly string[] = []) {
  const urls = endpoints.map((e) => (typeof e === 'string' ? e : e.url))
  const cluster = createFakeCluster([...urls, ...extra])
  const discovery = createStaticEndpoints(endpoints)
  const transport = createEgressTransport({
    name: 'metadata',
    endpoints: discovery,
    transportFor: cluster.transportFor,
    balancer: 'round_robin',
    random: () => 0,
    ...options,
  })
  return {
    cluster,
    discovery,
    transport,
    registry: createClient(RegistryService, transport),
    storage: createClient(StorageService, transport),
    metadata: createClient(MetadataService, transport),
    node: cluster.node,
  }
}

/** The ConnectError a call fails with (the test fails if it succeeds). */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call
  } catch (e) {
    return ConnectError.from(e)
  }
  throw new Error('expected the call to fail')
}
