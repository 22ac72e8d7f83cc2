import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web'
import { describe, expect, it } from 'vitest'
import { RegistryService } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { mountRpc } from './rpc.ts'
import { createShell } from './shell.ts'

function rpcShell() {
  const lines: string[] = []
  const shell = createShell({ node: 'test', runtime: { name: 'node', version: 'x' }, version: '0', sink: (l) => lines.push(l) })
  mountRpc(shell.app, (router) =>
    router.service(RegistryService, {
      listNodes: async (req) => ({ nodes: [{ nodeId: `n-${req.zone || 'any'}`, address: 'http://127.0.0.1:1', zone: req.zone }] }),
      heartbeat: async () => {
        throw new ConnectError('node "x" is not registered', Code.NotFound)
      },
    }),
  )
  const fetchViaShell: typeof fetch = (input, init) => shell.app.fetch(new Request(input as RequestInfo, init), { remoteAddress: '127.0.0.1' }) as Promise<Response>
  return { shell, lines, fetchViaShell }
}

describe('mountRpc', () => {
  it('serves a Connect client through the shell, with request id, metrics and access log', async () => {
    const { shell, lines, fetchViaShell } = rpcShell()
    const seen: Headers[] = []
    const client = createClient(
      RegistryService,
      createConnectTransport({
        baseUrl: 'http://node.test',
        fetch: async (input, init) => {
          const res = await fetchViaShell(input, init)
          seen.push(res.headers)
          return res
        },
      }),
    )
    const res = await client.listNodes({ zone: 'a' })
    expect(res.nodes.map((n) => n.nodeId)).toEqual(['n-a'])
    expect(seen[0]?.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const metrics = await (await shell.app.request('/metrics')).text()
    expect(metrics).toMatch(/^gatehouse_http_requests_total\{route="gatehouse\.metadata\.v1\.RegistryService\/ListNodes",class="2xx"\} 1$/m)
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ routeId: 'gatehouse.metadata.v1.RegistryService/ListNodes', status: 200 })
  })

  it('serves gRPC-web too, and keeps Connect error codes and messages', async () => {
    const { fetchViaShell } = rpcShell()
    const client = createClient(RegistryService, createGrpcWebTransport({ baseUrl: 'http://node.test', fetch: fetchViaShell }))
    expect((await client.listNodes({})).nodes).toHaveLength(1)
    await expect(client.heartbeat({ nodeId: 'x' })).rejects.toMatchObject({ code: Code.NotFound, rawMessage: 'node "x" is not registered' })
  })

  it('answers an RPC the node does not implement with unimplemented', async () => {
    const { fetchViaShell } = rpcShell()
    const client = createClient(RegistryService, createConnectTransport({ baseUrl: 'http://node.test', fetch: fetchViaShell }))
    await expect(client.deregisterNode({ nodeId: 'x' })).rejects.toMatchObject({ code: Code.Unimplemented })
  })
})
