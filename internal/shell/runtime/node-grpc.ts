import { createServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { connectNodeAdapter } from '@connectrpc/connect-node'
import type { RpcRoutes } from '../rpc.ts'
import { listenError } from '../run.ts'

/**
 * Native gRPC (and Connect, gRPC-web) over cleartext HTTP/2 on its own port, Node only: gRPC
 * needs HTTP trailers, which the shell's fetch-based listener cannot send.
 */
export async function listenGrpc(routes: RpcRoutes, hostname: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(connectNodeAdapter({ routes }))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(`${hostname}:${port} (gRPC)`, err)))
    server.listen(port, hostname, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => resolve(), 5_000) // streams still open: let the exit close them
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
      }),
  }
}
