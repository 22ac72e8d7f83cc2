import { createSecureServer, createServer } from 'node:http2'
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { ConnInfo } from '../env.ts'
import { listenError } from '../run.ts'
import { parseGrpcTimeout } from '../timeout-headers.ts'
import { GRPC, isGrpcContentType, toGrpcWebContentType } from './grpc-web-bridge.ts'
import { grpcResponder } from './node-grpc-responder.ts'
import { relayPlain, requestOf } from './node-h2-stream.ts'
import { clientCertificateOf, nodeTlsServerOptions } from './tls-node.ts'
import type { FetchHandler, Listener, ServeOptions } from './types.ts'

/**
 * The native gRPC ingress on node:http2 (Node, and Bun's and Deno's node:http2): an HTTP/2
 * listener, h2c with prior knowledge or TLS with ALPN h2. Each gRPC call becomes a gRPC-web
 * request to `fetch` (the node's whole app: correlation, routing, every policy), and its answer
 * becomes a gRPC response with real trailers. Other HTTP/2 requests go to `fetch` unchanged.
 * See README.md (native gRPC ingress).
 */
export async function listenGrpcIngress({ fetch, hostname, port, tls }: ServeOptions): Promise<Listener> {
  // Both kinds emit the same events; one type keeps the handlers below shared.
  const server = (tls ? createSecureServer({ ...nodeTlsServerOptions(tls), ALPNProtocols: ['h2'] }) : createServer()) as Http2Server
  const askClient = tls?.clientCa !== undefined
  const sessions = new Set<Http2Session>()
  let authority = `${hostname}:${port}` // for a request without :authority; the real port once listening
  server.on('session', (session) => {
    sessions.add(session)
    session.on('error', () => {}) // a broken connection ends its streams; never the process
    session.once('close', () => sessions.delete(session))
  })
  server.on('stream', (stream, headers) => {
    const socket = stream.session?.socket
    const info: ConnInfo = {
      remoteAddress: socket?.remoteAddress,
      protocol: tls ? 'https' : 'http',
      clientCertificate: askClient && socket ? clientCertificateOf(socket as TLSSocket) : undefined,
    }
    void handleStream(fetch, stream as ServerHttp2Stream, headers, info, tls ? 'https' : 'http', authority)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(`${hostname}:${port} (gRPC)`, err)))
    server.listen(port, hostname, () => resolve())
  })
  const bound = (server.address() as AddressInfo).port
  authority = `${hostname}:${bound}`
  return {
    hostname,
    port: bound,
    drain: (deadlineMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          for (const s of sessions) s.destroy()
        }, deadlineMs)
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        for (const s of sessions) s.close() // GOAWAY: calls in flight finish, no new ones
      }),
  }
}

async function handleStream(
  fetch: FetchHandler,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  info: ConnInfo,
  scheme: 'http' | 'https',
  fallbackAuthority: string,
): Promise<void> {
  stream.on('error', () => {}) // RST_STREAM from the client surfaces as 'close' below
  const method = String(headers[':method'] ?? 'GET')
  const contentType = headers['content-type']
  const grpc = method === 'POST' && isGrpcContentType(contentType)

  // Client gone (RST_STREAM, connection lost) or deadline passed: abandon the upstream call.
  const goneListeners: (() => void)[] = []
  const aborter = new AbortController()
  let settled = false
  const abandon = () => {
    if (aborter.signal.aborted) return
    aborter.abort()
    for (const l of goneListeners.splice(0)) l()
  }
  stream.once('close', () => {
    if (!settled) abandon()
  })
  info.onClientGone = (listener) => {
    if (aborter.signal.aborted) listener()
    else goneListeners.push(listener)
  }

  const request = requestOf(stream, headers, {
    scheme,
    fallbackAuthority,
    contentType: grpc ? toGrpcWebContentType(String(contentType)) : undefined,
    signal: aborter.signal,
  })

  const finish = grpc ? grpcResponder(stream, String(contentType)) : undefined
  const timeoutMs = grpc ? parseGrpcTimeout(headers['grpc-timeout'] as string | undefined) : undefined
  const deadline =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          abandon()
          finish?.status(GRPC.DEADLINE_EXCEEDED, 'deadline exceeded')
        }, timeoutMs)
  try {
    const response = await fetch(request, info)
    if (aborter.signal.aborted || stream.closed) {
      await response.body?.cancel().catch(() => {})
      return
    }
    if (finish) await finish.relay(response, aborter.signal)
    else await relayPlain(stream, response)
  } catch {
    if (finish) finish.status(aborter.signal.aborted ? GRPC.CANCELLED : GRPC.INTERNAL, 'gateway error')
    else if (!stream.headersSent && !stream.closed) stream.respond({ ':status': 500 }, { endStream: true })
  } finally {
    settled = true
    clearTimeout(deadline)
  }
}

