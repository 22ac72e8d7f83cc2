import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { UsageError } from '../flags.ts'
import type { Listener, Runtime, TlsListenerOptions } from './types.ts'

/** Paths of PEM files as given on the command line. */
export interface TlsFiles {
  readonly certPath: string
  readonly keyPath: string
  readonly clientCaPath: string | undefined
  readonly clientCert: 'optional' | 'required'
}

/** Reads the listener's PEM files (node:fs/promises: Node, Bun and Deno); a bad path is a UsageError. */
export async function readTlsFiles(files: TlsFiles): Promise<TlsListenerOptions> {
  const pem = async (flag: string, path: string) => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      throw new UsageError(`--${flag} ${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`)
    }
    if (!text.includes('-----BEGIN ')) throw new UsageError(`--${flag} ${path}: not a PEM file`)
    return text
  }
  const tls = {
    cert: await pem('tls-cert', files.certPath),
    key: await pem('tls-key', files.keyPath),
    clientCa: files.clientCaPath === undefined ? undefined : await pem('client-ca', files.clientCaPath),
    clientCert: files.clientCert,
  }
  checkTlsMaterial(tls, files)
  return tls
}

/** Each PEM parses and the key belongs to the certificate, said per flag (not OpenSSL's words at listen time). */
function checkTlsMaterial(tls: TlsListenerOptions, files: TlsFiles): void {
  const parse = <T>(flag: string, path: string, what: string, fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      throw new UsageError(`--${flag} ${path}: not a valid ${what} (${err instanceof Error ? err.message : String(err)})`)
    }
  }
  const leaf = parse('tls-cert', files.certPath, 'certificate', () => new X509Certificate(tls.cert))
  const key = parse('tls-key', files.keyPath, 'private key', () => createPrivateKey(tls.key))
  if (!leaf.checkPrivateKey(key)) throw new UsageError(`--tls-key ${files.keyPath}: not the key of --tls-cert ${files.certPath}`)
  if (tls.clientCa !== undefined && files.clientCaPath !== undefined) {
    const blocks = tls.clientCa.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
    if (blocks.length === 0) throw new UsageError(`--client-ca ${files.clientCaPath}: no certificate in it`)
    for (const block of blocks) parse('client-ca', files.clientCaPath, 'CA certificate', () => new X509Certificate(block))
  }
}

export interface ListenerExtras {
  readonly tls?: TlsListenerOptions | undefined
  /** Also open the native gRPC ingress on this port (0 = a free one), same TLS material. */
  readonly grpcPort?: number | undefined
  /** Told where the gRPC ingress listens (`http://h:p` or `https://h:p`). */
  readonly onGrpcListening?: (url: string) => void
}

/**
 * The runtime with its `serve` opening the node's listeners as configured: HTTPS when `tls` is
 * given, and the gRPC ingress beside it, drained together. Lets a node entry add listeners
 * without the shell's run loop knowing about them.
 */
export function withListeners(runtime: Runtime, extras: ListenerExtras): Runtime {
  const { tls, grpcPort } = extras
  if (tls === undefined && grpcPort === undefined) return runtime
  const serveGrpc = runtime.serveGrpc
  if (grpcPort !== undefined && serveGrpc === undefined) {
    throw new UsageError(`--grpc-port needs the node runtime: ${runtime.name} has no HTTP/2 server with trailers (see internal/shell/runtime/README.md)`)
  }
  return {
    ...runtime,
    async serve(options): Promise<Listener> {
      const main = await runtime.serve({ ...options, tls })
      if (grpcPort === undefined || serveGrpc === undefined) return main
      let grpc: Listener
      try {
        grpc = await serveGrpc({ ...options, port: grpcPort, tls })
      } catch (err) {
        await main.drain(0)
        throw err
      }
      const host = grpc.hostname.includes(':') ? `[${grpc.hostname}]` : grpc.hostname
      extras.onGrpcListening?.(`${tls ? 'https' : 'http'}://${host}:${grpc.port}`)
      return {
        hostname: main.hostname,
        port: main.port,
        drain: async (deadlineMs) => {
          await Promise.all([main.drain(deadlineMs), grpc.drain(deadlineMs)])
        },
      }
    },
  }
}
