import { definePolicy, inboundPolicy } from '../types.ts'
import { checkCertificate, MtlsRefusal, toPrincipal } from './identity.ts'
import { MtlsOptions } from './options.ts'

export { MtlsOptions } from './options.ts'

/**
 * Authenticates the client certificate of a TLS listener that asks for one (gateway
 * `--client-ca`): the TLS stack verified its chain; here its verdict and validity are checked
 * per request, and its SPIFFE ID (SAN URI) or subject CN becomes the principal. No certificate
 * on a `required` route, or a bad one anywhere, is 401. See README.md.
 */
export const mtls = definePolicy({
  type: 'mtls',
  description: 'Authenticate TLS client certificates (SPIFFE ID or subject CN) and set the principal',
  options: MtlsOptions,
  create(o, { name, metrics }) {
    const refused = metrics.counter('gatehouse_mtls_refused_total', 'Requests refused by an mtls policy, by policy and reason', ['policy', 'reason'])
    const forwarded = Object.values(o.forward).filter((h): h is string => h !== undefined)

    return inboundPolicy(function mtls(c) {
      const upstream = c.get('upstreamHeaders')
      for (const header of forwarded) upstream.delete(header) // never trust incoming copies
      const cert = c.env?.clientCertificate
      if (cert === undefined && o.mode === 'optional') return
      try {
        if (cert === undefined) throw new MtlsRefusal('missing', 'a client certificate is required')
        checkCertificate(cert, Date.now())
        const principal = toPrincipal(cert, o)
        c.set('principal', principal)
        if (o.forward.subject) upstream.set(o.forward.subject, principal.subject)
        if (o.forward.tenant && principal.tenant !== undefined) upstream.set(o.forward.tenant, principal.tenant)
        if (o.forward.fingerprint && cert.fingerprint256) upstream.set(o.forward.fingerprint, cert.fingerprint256)
      } catch (err) {
        if (err instanceof MtlsRefusal) refused.inc({ policy: name, reason: err.reason })
        throw err
      }
    })
  },
})
