import type { PeerCertificate, TLSSocket, TlsOptions } from 'node:tls'
import type { ClientCertificate } from '../env.ts'
import type { TlsListenerOptions } from './types.ts'

/** node:tls server options for a listener: TLS 1.2+, client certificates as configured. */
export function nodeTlsServerOptions(tls: TlsListenerOptions): TlsOptions {
  const askClient = tls.clientCa !== undefined
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    ...(askClient ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: tls.clientCert === 'required' } : {}),
  }
}

const seen = new WeakMap<TLSSocket, ClientCertificate | null>()

/**
 * The client certificate of a TLS connection, read once per connection (keep-alive and HTTP/2
 * reuse it for every request). Undefined when the client sent none.
 */
export function clientCertificateOf(socket: TLSSocket): ClientCertificate | undefined {
  let cached = seen.get(socket)
  if (cached === undefined) {
    cached = readClientCertificate(socket)
    seen.set(socket, cached)
  }
  return cached ?? undefined
}

function readClientCertificate(socket: TLSSocket): ClientCertificate | null {
  let cert: PeerCertificate
  try {
    cert = socket.getPeerCertificate()
  } catch {
    return null // the socket is already gone
  }
  if (!cert || !cert.raw) return null // Node answers `{}` when the client sent no certificate
  const authorizationError = socket.authorizationError
  return {
    authorized: socket.authorized,
    authorizationError: authorizationError ? String((authorizationError as { code?: string }).code ?? authorizationError) : undefined,
    subjectCN: firstString(cert.subject?.CN),
    issuerCN: firstString(cert.issuer?.CN),
    uris: sanUris(cert.subjectaltname),
    notBefore: Date.parse(cert.valid_from),
    notAfter: Date.parse(cert.valid_to),
    fingerprint256: cert.fingerprint256,
  }
}

function firstString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** `URI:spiffe://a/b, DNS:x` -> the URIs. Node JSON-quotes a value that holds a comma or quote. */
export function sanUris(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return []
  const uris: string[] = []
  for (const match of subjectAltName.matchAll(/(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const value = match[1] ?? ''
    try {
      uris.push(value.startsWith('"') ? (JSON.parse(value) as string) : value)
    } catch {
      // an unparsable quoted value is no identity
    }
  }
  return uris
}
