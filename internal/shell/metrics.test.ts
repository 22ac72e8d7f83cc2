import { describe, expect, it } from 'vitest'
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics.ts'

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Exposition {
  help: Map<string, string>
  type: Map<string, string>
  samples: Sample[]
  /** Names in order of their `# HELP` lines. */
  order: string[]
}

/** A strict reader of the text format 0.0.4: every line must be HELP, TYPE or a sample. */
function parse(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true)
  const out: Exposition = { help: new Map(), type: new Map(), samples: [], order: [] }
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      if (kind === 'HELP') {
        out.help.set(name, rest.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)))
        out.order.push(name)
      } else {
        out.type.set(name, rest)
      }
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/gy
    const body = m[2] ?? ''
    let p: RegExpExecArray | null
    while (pair.lastIndex < body.length && (p = pair.exec(body))) {
      labels[p[1]!] = p[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    if (pair.lastIndex !== body.length) throw new Error(`bad labels: ${body}`)
    const raw = m[3]!
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    out.samples.push({ name: m[1]!, labels, value })
  }
  return out
}

const value = (e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined =>
  e.samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value

describe('createRegistry', () => {
  it('renders counters with HELP, TYPE and one sample per label set', () => {
    const r = createRegistry()
    const c = r.counter('http_requests_total', 'Requests answered', ['route', 'class'])
    c.inc({ route: 'get-object', class: '2xx' })
    c.inc({ route: 'get-object', class: '2xx' }, 2)
    c.inc({ class: '5xx', route: 'put-object' })
    const e = parse(r.render())
    expect(e.help.get('http_requests_total')).toBe('Requests answered')
    expect(e.type.get('http_requests_total')).toBe('counter')
    expect(e.samples).toEqual([
      { name: 'http_requests_total', labels: { route: 'get-object', class: '2xx' }, value: 3 },
      { name: 'http_requests_total', labels: { route: 'put-object', class: '5xx' }, value: 1 },
    ])
  })

  it('exposes a label-less metric at 0 before it is touched, and a labelled one with no samples', () => {
    const r = createRegistry()
    r.counter('a_total', 'a')
    r.counter('b_total', 'b', ['x'])
    const e = parse(r.render())
    expect(e.samples).toEqual([{ name: 'a_total', labels: {}, value: 0 }])
    expect(e.type.get('b_total')).toBe('counter')
  })

  it('escapes label values (\\\\, \\", \\n) and help text, and they read back unchanged', () => {
    const r = createRegistry()
    const tricky = 'a\\b "quoted"\nnext,x="y"}'
    r.gauge('g', 'help with \\ and\nnewline', ['v']).set(1, { v: tricky })
    const text = r.render()
    expect(text).toContain('g{v="a\\\\b \\"quoted\\"\\nnext,x=\\"y\\"}"} 1\n')
    expect(text).toContain('# HELP g help with \\\\ and\\nnewline\n')
    const e = parse(text)
    expect(e.help.get('g')).toBe('help with \\ and\nnewline')
    expect(e.samples[0]?.labels).toEqual({ v: tricky })
  })

  it('keeps label sets apart even when values contain separator-like characters', () => {
    const r = createRegistry()
    const c = r.counter('c_total', 'c', ['a', 'b'])
    c.inc({ a: '1:x', b: '' })
    c.inc({ a: '', b: '1:x' })
    c.inc({ a: '1:x\u0000', b: 'y' })
    c.inc({ a: '1:x', b: '\u0000y' })
    expect(parse(r.render()).samples.map((s) => s.value)).toEqual([1, 1, 1, 1])
  })

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', () => {
    const r = createRegistry()
    const h = r.histogram('latency_seconds', 'Latency', ['route'], [0.1, 0.5, 1])
    for (const v of [0.05, 0.1, 0.3, 0.7, 2, 0.5]) h.observe(v, { route: 'r' })
    const e = parse(r.render())
    expect(e.type.get('latency_seconds')).toBe('histogram')
    const bucket = (le: string) => value(e, 'latency_seconds_bucket', { route: 'r', le })
    expect([bucket('0.1'), bucket('0.5'), bucket('1'), bucket('+Inf')]).toEqual([2, 4, 5, 6])
    expect(value(e, 'latency_seconds_sum', { route: 'r' })).toBeCloseTo(3.65, 10)
    expect(value(e, 'latency_seconds_count', { route: 'r' })).toBe(6)
    expect(e.samples.map((s) => s.name)).toEqual([
      ...Array<string>(4).fill('latency_seconds_bucket'), 'latency_seconds_sum', 'latency_seconds_count',
    ])
  })

  it('puts NaN only in +Inf and accepts a trailing +Inf bucket', () => {
    const r = createRegistry()
    const h = r.histogram('h', 'h', [], [1, Infinity])
    h.observe(Number.NaN)
    const e = parse(r.render())
    expect(value(e, 'h_bucket', { le: '1' })).toBe(0)
    expect(value(e, 'h_bucket', { le: '+Inf' })).toBe(1)
    expect(e.samples.filter((s) => s.name === 'h_bucket')).toHaveLength(2)
    expect(r.render()).toContain('h_sum NaN\n')
  })

  it('sets, increments and decrements gauges', () => {
    const r = createRegistry()
    const g = r.gauge('in_flight', 'In flight')
    g.inc()
    g.inc(undefined, 4)
    g.dec()
    const l = r.gauge('temp', 'T', ['zone'])
    l.set(-1.5, { zone: 'a' })
    l.set(Infinity, { zone: 'b' })
    const e = parse(r.render())
    expect(value(e, 'in_flight')).toBe(4)
    expect(value(e, 'temp', { zone: 'a' })).toBe(-1.5)
    expect(value(e, 'temp', { zone: 'b' })).toBe(Infinity)
  })

  it('resets a gauge: labelled series are dropped, a label-less one goes to 0', () => {
    const r = createRegistry()
    const info = r.gauge('bundle_info', 'info', ['hash'])
    info.set(1, { hash: 'old' })
    const detached = info.labels({ hash: 'old' })
    info.reset()
    info.set(1, { hash: 'new' })
    detached.inc()
    const plain = r.gauge('plain', 'p')
    plain.set(7)
    plain.reset()
    const e = parse(r.render())
    expect(e.samples).toEqual([
      { name: 'bundle_info', labels: { hash: 'new' }, value: 1 },
      { name: 'plain', labels: {}, value: 0 },
    ])
  })

  it('renders metrics by name and series by label values, whatever the order of first use', () => {
    const render = (order: string[]) => {
      const r = createRegistry()
      const z = r.counter('z_total', 'z', ['k'])
      const a = r.gauge('a', 'a', ['k'])
      for (const k of order) {
        z.inc({ k })
        a.set(1, { k })
      }
      return r.render()
    }
    const text = render(['b', 'c', 'a'])
    expect(text).toBe(render(['a', 'c', 'b']))
    const e = parse(text)
    expect(e.order).toEqual(['a', 'z_total'])
    expect(e.samples.filter((s) => s.name === 'z_total').map((s) => s.labels.k)).toEqual(['a', 'b', 'c'])
  })

  it('caches bound children per label set', () => {
    const r = createRegistry()
    const c = r.counter('c_total', 'c', ['route'])
    const child = c.labels({ route: 'x' })
    expect(c.labels({ route: 'x' })).toBe(child)
    child.inc()
    child.inc(2)
    c.inc({ route: 'x' })
    const h = r.histogram('h', 'h', ['route'], [1])
    h.labels({ route: 'x' }).observe(0.5)
    const g = r.gauge('g', 'g', ['route']).labels({ route: 'x' })
    g.set(3)
    g.inc()
    g.dec(2)
    const e = parse(r.render())
    expect(value(e, 'c_total', { route: 'x' })).toBe(4)
    expect(value(e, 'h_bucket', { route: 'x', le: '1' })).toBe(1)
    expect(value(e, 'g', { route: 'x' })).toBe(2)
  })

  it('returns the same metric for a matching re-registration and throws for a conflicting one', () => {
    const r = createRegistry()
    const c = r.counter('c_total', 'c', ['a'])
    expect(r.counter('c_total', 'other help', ['a'])).toBe(c)
    expect(() => r.gauge('c_total', 'c', ['a'])).toThrow(TypeError)
    expect(() => r.counter('c_total', 'c', ['b'])).toThrow(TypeError)
    expect(() => r.counter('c_total', 'c')).toThrow(TypeError)
    const h = r.histogram('h', 'h', [], [1, 2])
    expect(r.histogram('h', 'h', [], [1, 2, Infinity])).toBe(h)
    expect(() => r.histogram('h', 'h', [], [1, 3])).toThrow(TypeError)
  })

  it('validates metric names, label names and buckets at registration', () => {
    const r = createRegistry()
    for (const name of ['', '1abc', 'a-b', 'a b', 'é']) expect(() => r.counter(name, 'h')).toThrow(TypeError)
    expect(r.counter('ns:sub_total', 'colons are allowed')).toBeDefined()
    for (const label of ['1a', 'a-b', '__reserved', 'a:b']) expect(() => r.counter('x', 'h', [label])).toThrow(TypeError)
    expect(() => r.counter('x', 'h', ['a', 'a'])).toThrow(/duplicate/)
    expect(() => r.histogram('x', 'h', ['le'], [1])).toThrow(/reserved/)
    expect(() => r.histogram('x', 'h', [], [2, 1])).toThrow(TypeError)
    expect(() => r.histogram('x', 'h', [], [1, 1])).toThrow(TypeError)
    expect(() => r.histogram('x', 'h', [], [Number.NaN])).toThrow(TypeError)
    expect(() => r.histogram('x', 'h', [], [Infinity, 1])).toThrow(TypeError)
    expect(parse(r.render()).order).toEqual(['ns:sub_total'])
  })

  it('rejects a missing label and a negative counter increment', () => {
    const r = createRegistry()
    const c = r.counter('c_total', 'c', ['route', 'class'])
    expect(() => c.inc({ route: 'x' } as { route: string; class: string })).toThrow(/label "class" is missing/)
    expect(() => c.inc()).toThrow(TypeError)
    expect(() => c.inc({ route: 'x', class: '2xx' }, -1)).toThrow(RangeError)
    expect(() => c.inc({ route: 'x', class: '2xx' }, Number.NaN)).toThrow(RangeError)
  })

  it('exports the 0.0.4 content type', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
  })
})
