import { z } from 'zod'

/** An endpoint base URL: http(s), host and optional port, nothing else. Output is a `URL`. */
export const HttpUrl = z
  .string()
  .meta({ pattern: '^https?://', examples: ['http://127.0.0.1:8081'] })
  .transform((text, ctx): URL => {
    const fail = (message: string): never => {
      ctx.issues.push({ code: 'custom', input: text, message })
      return z.NEVER
    }
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) || !URL.canParse(text)) {
      return fail(`invalid URL ${JSON.stringify(text)} (expected e.g. http://10.0.0.7:8080)`)
    }
    const url = new URL(text)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail(`unsupported URL scheme "${url.protocol}" (use http: or https:)`)
    }
    if (url.username || url.password) return fail('URL must not contain credentials')
    if (url.pathname !== '/') return fail(`URL must not have a path (found "${url.pathname}")`)
    if (url.search || text.includes('?')) return fail('URL must not have a query')
    if (url.hash || text.includes('#')) return fail('URL must not have a fragment')
    return url
  })
