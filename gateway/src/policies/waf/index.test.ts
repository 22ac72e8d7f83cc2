import { describe, expect, it } from 'vitest'
import { toRequest, wafApp } from './testing.ts'

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('waf: block mode', () => {
  it('refuses an attack with 403 problem+json naming the rule ids, never the payload', async () => {
    const { app } = wafApp()
    const res = await app.request(toRequest({ path: `/v1/items?q=${encodeURIComponent("1' UNION SELECT password FROM users--")}` }))
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await res.json()) as { code: string; rules: number[]; detail: string; requestId: string }
    expect(problem).toMatchObject({ code: 'PERMISSION_DENIED', requestId: 'req-1' })
    expect(problem.rules).toContain(942140)
    expect(problem.detail).toContain('942140')
    expect(JSON.stringify(problem)).not.toMatch(/union|password/i)
  })

  it('passes a benign request and hands the upstream the body byte for byte', async () => {
    const { app, lines } = wafApp()
    const body = JSON.stringify({ name: "Conor O'Brien", note: 'Select the best option from the list -- thanks!', emoji: 'é😀' })
    const res = await app.request(toRequest({ path: '/v1/items', ...json(JSON.parse(body)) }))
    expect(res.status).toBe(200)
    expect(((await res.json()) as { body: string }).body).toBe(body)
    expect(lines).toEqual([])
  })

  it('streams a body larger than the inspection bound upstream intact, inspecting its prefix', async () => {
    const { app } = wafApp({ inspectBodyBytes: 1024 })
    const big = 'x'.repeat(300_000)
    const ok = await app.request(toRequest({ path: '/v1/upload', headers: { 'content-type': 'text/plain' }, body: `hello ${big}` }))
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { body: string }).body).toBe(`hello ${big}`)
    const early = await app.request(toRequest({ path: '/v1/upload', headers: { 'content-type': 'text/plain' }, body: `<script>alert(1)</script>${big}` }))
    expect(early.status).toBe(403)
    const late = await app.request(toRequest({ path: '/v1/upload', headers: { 'content-type': 'text/plain' }, body: `${big}<script>alert(1)</script>` }))
    expect(late.status).toBe(200) // beyond the bound: documented, and what oversizedBody: block is for
  })

  it('refuses an oversized body with 413 when oversizedBody is block', async () => {
    const { app } = wafApp({ inspectBodyBytes: 1024, oversizedBody: 'block' })
    expect((await app.request(toRequest({ path: '/v1/u', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(1025) }))).status).toBe(413)
    expect((await app.request(toRequest({ path: '/v1/u', headers: { 'content-type': 'text/plain' }, body: 'a'.repeat(1024) }))).status).toBe(200)
  })

  it('inspects JSON keys and values by path, form fields, multipart fields and file names, cookies and headers', async () => {
    const { app } = wafApp()
    const cases = [
      toRequest({ path: '/v1/items', ...json({ a: { b: ['ok', '<svg onload=alert(1)>'] } }) }),
      toRequest({ path: '/v1/items', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"admin":true}}' }),
      toRequest({ path: '/v1/items', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=%3Cscript%3E' }),
      toRequest({
        path: '/v1/upload',
        headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
        body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n\r\nbinary\r\n--XyZ--\r\n',
      }),
      toRequest({ path: '/v1/items', headers: { cookie: "session=abc; pref=1' or '1'='1" } }),
      toRequest({ path: '/v1/items', headers: { 'user-agent': 'sqlmap/1.7' } }),
      toRequest({ path: '/v1/items', headers: { 'x-api-version': '${jndi:ldap://x/a}' } }),
    ]
    for (const req of cases) expect((await app.request(req)).status, req.url).toBe(403)
  })

  it('does not inspect binary bodies (octet-stream, gRPC)', async () => {
    const { app } = wafApp()
    const res = await app.request(toRequest({ path: '/v1/blob', headers: { 'content-type': 'application/octet-stream' }, body: "<script>' or 1=1--" }))
    expect(res.status).toBe(200)
  })

  it('enforces the protocol: methods, Host, Content-Length with Transfer-Encoding', async () => {
    const { app } = wafApp()
    expect((await app.request(toRequest({ method: 'DEBUG', path: '/' }))).status).toBe(403)
    expect((await app.request(toRequest({ path: '/', headers: { host: null } }))).status).toBe(403)
    const smuggle = toRequest({ path: '/', headers: { 'content-length': '2', 'transfer-encoding': 'chunked', 'content-type': 'text/plain' }, body: 'hi' })
    expect((await app.request(smuggle)).status).toBe(403)
    // A refused method's body is not read (some runtimes cannot even rebuild such a request).
    expect((await app.request(toRequest({ method: 'PROPFIND', path: '/', headers: { 'content-type': 'text/plain' }, body: 'x' }))).status).toBe(403)
  })
})

describe('waf: scoring, detect mode, exclusions, extra rules', () => {
  it('detect mode passes the attack and writes one audit line with rule ids, targets, score and request id', async () => {
    const { app, lines, metrics } = wafApp({ mode: 'detect' })
    const res = await app.request(toRequest({ path: '/v1/items', ...json({ description: "x' OR 1=1 --" }) }))
    expect(res.status).toBe(200)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'waf', policy: 'waf', requestId: 'req-1', routeId: 'test-route', action: 'detected' })
    const line = lines[0] as { score: number; matches: { rule: number; target: string; family: string }[] }
    expect(line.score).toBeGreaterThanOrEqual(5)
    expect(line.matches).toContainEqual(expect.objectContaining({ rule: 942100, target: 'body.description', family: 'sqli' }))
    expect(JSON.stringify(lines)).not.toContain('OR 1=1')
    expect(metrics.render()).toMatch(/gatehouse_waf_matches_total\{policy="waf",rule_family="sqli",action="detected"\} [1-9]/)
  })

  it('a score under the threshold is logged and allowed; a lower threshold blocks it', async () => {
    const warningOnly = { path: `/v1/items?path=${encodeURIComponent('../assets/logo.svg')}` } // 930110 (warning, 3)
    const lenient = wafApp()
    expect((await lenient.app.request(toRequest(warningOnly))).status).toBe(200)
    expect(lenient.lines[0]).toMatchObject({ action: 'allowed', score: 3 })
    expect((await wafApp({ threshold: 3 }).app.request(toRequest(warningOnly))).status).toBe(403)
  })

  it('excludes a rule on one target only, disables rules by id, and higher paranoia enables more rules', async () => {
    const attack = toRequest({ path: '/v1/items', ...json({ description: "x' OR 1=1 --" }) })
    const excluded = wafApp({ exclude: [{ rule: 942100, target: 'body.description' }, { rule: 942110, target: 'body.*' }] })
    expect((await excluded.app.request(attack.clone())).status).toBe(200)
    const elsewhere = toRequest({ path: '/v1/items', ...json({ title: "x' OR 1=1 --" }) })
    expect((await excluded.app.request(elsewhere)).status).toBe(403)
    expect((await wafApp({ disable: [942100, 942110] }).app.request(attack.clone())).status).toBe(200)
    expect((await wafApp({ exclude: [{ target: 'body.description' }] }).app.request(attack.clone())).status).toBe(200)
    const tagged = toRequest({ path: `/v1/items?c=${encodeURIComponent('<b>bold</b>')}` })
    expect((await wafApp({ paranoia: 1 }).app.request(tagged.clone())).status).toBe(200)
    expect((await wafApp({ paranoia: 3, threshold: 3 }).app.request(tagged.clone())).status).toBe(403)
  })

  it('runs extra rules from the policy entry', async () => {
    const { app } = wafApp({
      rules: [{ id: 100001, family: 'custom', severity: 'critical', paranoia: 1, message: 'internal header', targets: ['headers.x-debug'], transforms: ['lowercase'], pattern: '^on$' }],
    })
    expect((await app.request(toRequest({ path: '/', headers: { 'x-debug': 'ON' } }))).status).toBe(403)
    expect((await app.request(toRequest({ path: '/', headers: { 'x-debug': 'off' } }))).status).toBe(200)
  })
})
