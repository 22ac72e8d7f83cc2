/** Test harness of the control gateway: imported only by *.test.ts. */
import { createClient, createRouterTransport } from '@connectrpc/connect'
import type { Client } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-web'
import { SignJWT } from 'jose'
import { createMemoryStore } from '../../internal/metadata/state-store.ts'
import { singleNode } from '../../internal/metadata/leader.ts'
import { metadataRoutes } from '../../internal/metadata/routes.ts'
import { mountRpc } from '../../internal/shell/rpc.ts'
import { createShell } from '../../internal/shell/shell.ts'
import { ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import { MetadataService } from '../../proto/gen/gatehouse/metadata/v1/metadata_pb.ts'
import { createMemoryAuditLog } from './audit.ts'
import { createAuthenticator } from './auth.ts'
import { createBundleStore } from './bundle-store.ts'
import { createGuard } from './guard.ts'
import { mountRest } from './rest.ts'
import { followHead } from './head-follower.ts'
import { createNodeTable } from './nodes.ts'
import { createControlService } from './service.ts'

export const TEST_SECRET = 'unit-test-secret-0123456789abcdef'
export const ALL_SCOPES = 'bundle:read bundle:write node:drain debug:read'

export const token = (scope: string, subject = 'alice', secret = TEST_SECRET) =>
  new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('5m').sign(new TextEncoder().encode(secret))

/** A one-file bundle whose `tag` policy sets `x-tag`. */
export const files = (tag: string, extra = '') => [
  {
    path: 'policies/a.yaml',
    text: `services:\n  up:\n    endpoints:\n      - url: http://127.0.0.1:9\npolicies:\n  tag:\n    type: headers\n    response: { set: { x-tag: ${tag} } }\nroutes:\n  - id: r\n    match: { path: /a }\n    policies: [tag]\n    http: up\n${extra}`,
  },
]

/**
 * The control gateway's app in memory: the shell, the guard and ControlService over an
 * in-memory metadata service; `client(scopes)` calls it through the front door (app.fetch).
 */
export function controlHarness(options: { callsPerSecond?: number; certificates?: ReadonlyMap<string, ReadonlySet<string>> } = {}) {
  const metadata: Client<typeof MetadataService> = createClient(
    MetadataService,
    createRouterTransport(metadataRoutes({ store: createMemoryStore(), node: singleNode('http://metadata.test') })),
  )
  const audit = createMemoryAuditLog()
  const store = createBundleStore(metadata)
  const follower = followHead(store, metadata)
  const nodes = createNodeTable()
  const shell = createShell({ node: 'control', runtime: { name: 'node', version: 'test' }, version: 'test', sink: () => {}, accessLog: false })
  shell.app.use('*', createGuard({ authenticate: createAuthenticator({ secret: TEST_SECRET, certificates: options.certificates }), audit, callsPerSecond: options.callsPerSecond ?? 1000 }))
  mountRest(shell.app, ControlService)
  mountRpc(shell.app, (router) => router.service(ControlService, createControlService({ store, follower, nodes, audit })))
  /** A transport into the app with a token of these scopes; `null`: no token at all. */
  const transport = async (scope: string | null = ALL_SCOPES, subject = 'alice') => {
    const bearer = scope === null ? undefined : `Bearer ${await token(scope, subject)}`
    return createConnectTransport({
      baseUrl: 'http://control.test',
      fetch: async (input, init) => shell.app.fetch(new Request(input, init)),
      interceptors: bearer === undefined ? [] : [(next) => (req) => (req.header.set('authorization', bearer), next(req))],
    })
  }
  const client = async (scope: string | null = ALL_SCOPES, subject = 'alice') => createClient(ControlService, await transport(scope, subject))
  return { app: shell.app, metadata, audit, store, follower, nodes, transport, client, close: () => follower.close() }
}
