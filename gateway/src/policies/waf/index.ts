import { GatewayError } from '../../../../internal/shell/errors.ts'
import { definePolicy, inboundPolicy } from '../types.ts'
import { BASE_RULES } from './base-rules.ts'
import { readBodyPrefix } from './body-prefix.ts'
import { bodyValues } from './body-values.ts'
import { headerEntries } from './header-entries.ts'
import { inspect, targetGlob } from './inspect.ts'
import type { Match } from './inspect.ts'
import { WafOptions } from './options.ts'
import { requestValues } from './request-values.ts'
import { indexRules } from './rule-index.ts'
import { compileRule } from './rule-set.ts'
import { replaceRequestBody, requestStreamOf } from '../../request-body.ts'

export { WafOptions } from './options.ts'

/** Methods whose body the proxy never forwards, so there is nothing to inspect. */
const NO_BODY = new Set(['GET', 'HEAD'])

async function readPrefix(body: ReadableStream<Uint8Array>, limit: number) {
  try {
    return await readBodyPrefix(body, limit)
  } catch (err) {
    throw new GatewayError('CANCELED', 'the request body could not be read', { cause: err })
  }
}

/**
 * A web application firewall in the spirit of the OWASP Core Rule Set: rules (rules/*.yaml plus
 * the instance's own) run over the method, path, query, headers, cookies and the first
 * `inspectBodyBytes` of the body after normalising transforms; each match adds its severity to
 * an anomaly score; at `threshold` the request is refused with 403 PERMISSION_DENIED naming the
 * rule ids (mode `block`) or passed (mode `detect`). Every request with a match gets one audit
 * log line and counts in `gatehouse_waf_matches_total`. The body reaches the upstream intact and
 * streamed: the inspected prefix is replayed ahead of the rest.
 */
export const waf = definePolicy({
  type: 'waf',
  description: 'Web application firewall: CRS-style rules and anomaly scoring over the request and its body',
  options: WafOptions,
  create(o, { name, metrics, log }) {
    const disabled = new Set(o.disable)
    const rules = indexRules([...BASE_RULES, ...o.rules].filter((r) => r.paranoia <= o.paranoia && !disabled.has(r.id)).map(compileRule))
    const exclusions = o.exclude.map((e) => ({ rule: e.rule, target: e.target === undefined ? undefined : targetGlob(e.target) }))
    const limits = { allowedMethods: new Set(o.allowedMethods), maxHeaders: o.maxHeaders, maxHeaderBytes: o.maxHeaderBytes }
    const matchesTotal = metrics.counter('gatehouse_waf_matches_total', 'Rules matched by the WAF, by policy, rule family and action', [
      'policy',
      'rule_family',
      'action',
    ])

    function audit(requestId: string, routeId: string, matches: readonly Match[], score: number, action: string): void {
      for (const m of matches) matchesTotal.inc({ policy: name, rule_family: m.rule.family, action })
      log.warn('waf', {
        policy: name,
        requestId,
        routeId,
        action,
        score,
        threshold: o.threshold,
        paranoia: o.paranoia,
        matches: matches.map((m) => ({ rule: m.rule.id, family: m.rule.family, severity: m.rule.severity, target: m.target })),
      })
    }

    return inboundPolicy(async function waf(c) {
      const req = c.req.raw
      // Node hands the raw header list over: the same fields, without building WHATWG Headers.
      const fields = headerEntries(req, c.env?.rawHeaders)
      const values = requestValues(req, fields)
      let oversized = false
      // A method outside allowedMethods is refused by rule 920100 (and some runtimes cannot build a Request for it).
      // `body` last: on Node (@hono/node-server) reading it builds the full undici Request, which a GET never needs.
      const body = NO_BODY.has(req.method) || !limits.allowedMethods.has(req.method) || o.inspectBodyBytes === 0 ? null : requestStreamOf(c)
      if (body !== null) {
        const prefix = await readPrefix(body, o.inspectBodyBytes)
        // The upstream gets the same bytes (the rest still streaming, if any), without rebuilding the Request.
        replaceRequestBody(c, prefix.body)
        oversized = prefix.oversized
        bodyValues(req.headers.get('content-type'), prefix.text, values)
      }
      const matches = inspect(rules, exclusions, limits, req, values, fields)
      const score = matches.reduce((sum, m) => sum + m.rule.score, 0)
      const action = score < o.threshold ? 'allowed' : o.mode === 'block' ? 'blocked' : 'detected'
      if (matches.length > 0) audit(c.get('requestId'), c.get('routeId'), matches, score, action)
      if (action === 'blocked') {
        const ids = matches.map((m) => m.rule.id)
        throw new GatewayError('PERMISSION_DENIED', `request blocked by the web application firewall (rules ${ids.join(', ')})`, {
          extensions: { rules: ids },
        })
      }
      if (oversized && o.oversizedBody === 'block' && o.mode === 'block') {
        throw new GatewayError('PAYLOAD_TOO_LARGE', `request body larger than the ${o.inspectBodyBytes} bytes the firewall inspects`)
      }
    })
  },
})
