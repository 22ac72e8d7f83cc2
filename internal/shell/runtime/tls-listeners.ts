import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { UsageError } from '../flags.ts'
import type { UpstreamTlsArgs } from '../flags.ts'
import type { EgressTls, Listener, Runtime, TlsListenerOptions } from './types.ts'

/** Paths of PEM files as given on the command line. */
export interface TlsFiles {
  readonly certPath: string
  readonly keyPath: string
  readonly clientCaPath: string | undefined
  readonly clientCert: 'optional' | 'required'
}

/** A PEM file named by `--flag` (node:fs/promises: Node, Bun and Deno); a bad path is a UsageError. */
async function pem(flag: string, path: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UsageError(`--${flag} ${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`)
  }
  if (!text.includes('-----BEGIN ')) throw new UsageError(`--${flag} ${path}: not a PEM file`)
  return text
}

/** Reads the listener's PEM files; a bad path or file is a UsageError naming the flag. */
export async function readTlsFiles(files: TlsFiles): Promise<TlsListenerOptions> {
  const tls = {
    cert: await pem('tls-cert', files.certPath),
    key: await pem('tls-key', files.keyPath),
    clientCa: files.clientCaPath === undefined ? undefined : await pem('client-ca', files.clientCaPath),
    clientCert: files.clientCert,
  }
  checkKeyPair('tls', tls.cert, files.certPath, tls.key, files.keyPath)
  if (tls.clientCa !== undefined && files.clientCaPath !== undefined) checkCaBundle('client-ca', tls.clientCa, files.clientCaPath)
  return tls
}

/** Reads a node's upstream TLS files (`--upstream-cert/-key/-ca`), checked the same way. */
export async function readUpstreamTlsFiles(files: UpstreamTlsArgs): Promise<EgressTls> {
  const cert = files.certPath === undefined ? undefined : await pem('upstream-cert', files.certPath)
  const key = files.keyPath === undefined ? undefined : await pem('upstream-key', files.keyPath)
  const ca = files.caPath === undefined ? undefined : await pem('upstream-ca', files.caPath)
  if (cert !== undefined && key !== undefined) checkKeyPair('upstream', cert, files.certPath ?? '', key, files.keyPath ?? '')
  if (ca !== undefined) checkCaBundle('upstream-ca', ca, files.caPath ?? '')
  return { cert, key, ca }
}

function parsed<T>(flag: string, path: string, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw new UsageError(`--${flag} ${path}: not a valid ${what} (${err instanceof Error ? err.message : String(err)})`)
  }
}

/** The PEMs of `--<prefix>-cert` and `--<prefix>-key` parse and belong together, said per flag (not OpenSSL's words later). */
function checkKeyPair(prefix: string, cert: string, certPath: string, key: string, keyPath: string): void {
  const leaf = parsed(`${prefix}-cert`, certPath, 'certificate', () => new X509Certificate(cert))
  const privateKey = parsed(`${prefix}-key`, keyPath, 'private key', () => createPrivateKey(key))
  if (!leaf.checkPrivateKey(privateKey)) throw new UsageError(`--${prefix}-key ${keyPath}: not the key of --${prefix}-cert ${certPath}`)
}

function checkCaBundle(flag: string, bundle: string, path: string): void {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) throw new UsageError(`--${flag} ${path}: no certificate in it`)
  for (const block of blocks) parsed(flag, path, 'CA certificate', () => new X509Certificate(block))
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
