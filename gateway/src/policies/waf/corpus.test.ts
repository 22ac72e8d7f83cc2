import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toRequest, wafApp } from './testing.ts'
import type { TestRequest } from './testing.ts'

/**
 * Detection and false-positive rates over corpus/ at paranoia 1, in block mode: a sample counts
 * as detected when the request is refused. Attack payloads go where each family is usually
 * found (parameters for injections, the path for restricted files, User-Agent for scanners),
 * each in a query argument, a JSON field and a form field. WAF_CORPUS_VERBOSE=1 lists misses.
 */
const CORPUS = new URL('./corpus/', import.meta.url)

interface Sample {
  readonly label: string
  readonly request: TestRequest
}

function lines(file: URL): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';;'))
}

function asParameter(payload: string): Sample[] {
  const encoded = encodeURIComponent(payload)
  return [
    { label: `query ${payload}`, request: { path: `/v1/items?q=${encoded}` } },
    { label: `json ${payload}`, request: { path: '/v1/items', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', comment: payload }) } },
    { label: `form ${payload}`, request: { path: '/v1/items', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `name=x&comment=${encoded}` } },
  ]
}

function asRawJson(payload: string): Sample[] {
  try {
    JSON.parse(payload)
  } catch {
    return []
  }
  return [{ label: `json body ${payload}`, request: { path: '/v1/items', headers: { 'content-type': 'application/json' }, body: payload } }]
}

function attackSamples(family: string, file: URL): Sample[] {
  if (file.pathname.endsWith('.json')) {
    const fixtures = JSON.parse(readFileSync(file, 'utf8')) as (TestRequest & { name: string })[]
    return fixtures.map((f) => ({ label: f.name, request: f }))
  }
  return lines(file).flatMap((line): Sample[] => {
    if (line.startsWith('@path ')) return [{ label: line, request: { path: line.slice(6) } }]
    if (family === 'restricted-files') return [{ label: line, request: { path: line } }]
    if (family === 'scanner') return [{ label: line, request: { path: '/v1/items', headers: { 'user-agent': line } } }]
    return [...asParameter(line), ...asRawJson(line)]
  })
}

function benignSamples(name: string, file: URL): Sample[] {
  if (name === 'requests.json') {
    const fixtures = JSON.parse(readFileSync(file, 'utf8')) as (TestRequest & { name: string })[]
    return fixtures.map((f) => ({ label: f.name, request: f }))
  }
  if (name === 'paths.txt') return lines(file).map((l) => ({ label: l, request: { path: l } }))
  if (name === 'user-agents.txt') return lines(file).map((l) => ({ label: l, request: { path: '/v1/items', headers: { 'user-agent': l } } }))
  return lines(file).flatMap(asParameter)
}

async function blocked(app: ReturnType<typeof wafApp>['app'], samples: readonly Sample[]): Promise<Sample[]> {
  const hits: Sample[] = []
  for (const s of samples) if ((await app.request(toRequest(s.request))).status !== 200) hits.push(s)
  return hits
}

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`

interface Rates {
  readonly rows: string[]
  readonly attacks: number
  readonly detected: number
  readonly benign: number
  readonly flagged: number
}

/** Runs every sample of `dir` (attacks/ and benign/) through the app; one table row per file. */
async function measure(app: ReturnType<typeof wafApp>['app'], dir: URL, verbose: boolean): Promise<Rates> {
  const rows: string[] = []
  let attacks = 0
  let detected = 0
  for (const name of readdirSync(new URL('attacks/', dir)).sort()) {
    const family = name.replace(/\.(txt|json)$/, '')
    const samples = attackSamples(family, new URL(`attacks/${name}`, dir))
    const hits = await blocked(app, samples)
    if (verbose) for (const s of samples) if (!hits.includes(s)) console.log(`MISS ${family}: ${s.label}`)
    attacks += samples.length
    detected += hits.length
    rows.push(`| attack: ${family} | ${samples.length} | ${hits.length} | ${pct(hits.length, samples.length)} detected |`)
  }
  let benign = 0
  let flagged = 0
  for (const name of readdirSync(new URL('benign/', dir)).sort()) {
    const samples = benignSamples(name, new URL(`benign/${name}`, dir))
    const hits = await blocked(app, samples)
    if (verbose) for (const s of hits) console.log(`FALSE POSITIVE ${name}: ${s.label}`)
    benign += samples.length
    flagged += hits.length
    rows.push(`| benign: ${name} | ${samples.length} | ${hits.length} | ${pct(hits.length, samples.length)} false positives |`)
  }
  rows.push(`| **all attacks** | ${attacks} | ${detected} | **${pct(detected, attacks)} detected** |`)
  rows.push(`| **all benign** | ${benign} | ${flagged} | **${pct(flagged, benign)} false positives** |`)
  return { rows, attacks, detected, benign, flagged }
}

const HEADER = ['| corpus | samples | refused | rate |', '|---|---:|---:|---:|']

describe('waf corpus at paranoia 1', () => {
  const { app } = wafApp({ paranoia: 1 })
  const verbose = process.env.WAF_CORPUS_VERBOSE === '1'

  it('detects >= 95% of attacks with <= 1% false positives', async () => {
    const r = await measure(app, CORPUS, verbose)
    console.log(['corpus/', ...HEADER, ...r.rows].join('\n'))
    expect(r.detected / r.attacks).toBeGreaterThanOrEqual(0.95)
    expect(r.flagged / r.benign).toBeLessThanOrEqual(0.01)
  }, 60_000)

  // Written after the rules and never used to tune them: an estimate of unseen traffic, reported, loosely bounded.
  it('reports the rates on the held-out corpus', async () => {
    const r = await measure(app, new URL('holdout/', CORPUS), verbose)
    console.log(['corpus/holdout/', ...HEADER, ...r.rows].join('\n'))
    expect(r.detected / r.attacks).toBeGreaterThanOrEqual(0.8)
    expect(r.flagged / r.benign).toBeLessThanOrEqual(0.05)
  }, 60_000)
})
