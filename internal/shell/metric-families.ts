/** The metric families (counter, gauge, histogram) and their series; the registry is in metrics.ts. */
import type { Counter, CounterChild, Gauge, GaugeChild, Histogram, HistogramChild, Labels } from './metrics.ts'

export type Kind = 'counter' | 'gauge' | 'histogram'

/** One label set of one metric, created once; `pairs` is its label text `a="x",b="y"`, escaped. */
export abstract class Series {
  readonly values: readonly string[]
  readonly pairs: string
  constructor(values: readonly string[], pairs: string) {
    this.values = values
    this.pairs = pairs
  }
  abstract lines(name: string, family: Family<Series>): string
}

class CounterSeries extends Series implements CounterChild {
  value = 0
  inc(by = 1): void {
    if (!(by >= 0)) throw new RangeError(`a counter cannot be increased by ${by}`)
    this.value += by
  }
  lines(name: string): string {
    return `${name}${this.pairs && `{${this.pairs}}`} ${formatNumber(this.value)}\n`
  }
}

class GaugeSeries extends Series implements GaugeChild {
  value = 0
  set(value: number): void { this.value = value }
  inc(by = 1): void { this.value += by }
  dec(by = 1): void { this.value -= by }
  lines(name: string): string {
    return `${name}${this.pairs && `{${this.pairs}}`} ${formatNumber(this.value)}\n`
  }
}

class HistogramSeries extends Series implements HistogramChild {
  readonly bounds: readonly number[]
  /** Per-bucket counts, not cumulative; a value above the last bound only counts toward +Inf. */
  readonly counts: Float64Array
  count = 0
  sum = 0
  constructor(values: readonly string[], pairs: string, bounds: readonly number[]) {
    super(values, pairs)
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length)
  }
  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && !(value <= bounds[i]!)) i++ // NaN falls through to +Inf, as in the Go client
    if (i < bounds.length) this.counts[i]!++
    this.count++
    this.sum += value
  }
  lines(name: string, family: Family<Series>): string {
    const prefix = `${name}_bucket{${this.pairs}${this.pairs ? ',' : ''}le="`
    let out = ''
    let cumulative = 0
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i]!
      out += `${prefix}${family.les[i]}"} ${formatNumber(cumulative)}\n`
    }
    const labels = this.pairs && `{${this.pairs}}`
    return `${out}${prefix}+Inf"} ${formatNumber(this.count)}\n` +
      `${name}_sum${labels} ${formatNumber(this.sum)}\n${name}_count${labels} ${formatNumber(this.count)}\n`
  }
}

/** A metric: its series keyed by label values. */
export abstract class Family<S extends Series> {
  abstract readonly kind: Kind
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  readonly bounds: readonly number[]
  readonly les: readonly string[]
  protected readonly series = new Map<string, S>()
  private readonly only: S | undefined
  protected ordered: S[] | undefined

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[] = []) {
    this.name = name
    this.help = help
    this.labelNames = labelNames
    this.bounds = bounds
    this.les = bounds.map(formatNumber)
    if (labelNames.length === 0) {
      this.only = this.make([], '') // a label-less metric always exposes its one series, even at 0
      this.series.set('', this.only)
    }
  }

  protected abstract make(values: readonly string[], pairs: string): S

  labels(labels: Labels | undefined): S {
    if (this.only) return this.only
    const key = labelKey(this.name, this.labelNames, labels)
    return this.series.get(key) ?? this.add(key, labels!)
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.kind}\n`
    this.ordered ??= [...this.series.values()].sort((a, b) => compareValues(a.values, b.values))
    for (const s of this.ordered) out += s.lines(this.name, this)
    return out
  }

  private add(key: string, labels: Labels): S {
    const values = this.labelNames.map((n) => labels[n]!)
    const s = this.make(values, this.labelNames.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`).join(','))
    this.series.set(key, s)
    this.ordered = undefined
    return s
  }
}

export class CounterFamily extends Family<CounterSeries> implements Counter {
  readonly kind = 'counter'
  protected make(values: readonly string[], pairs: string): CounterSeries { return new CounterSeries(values, pairs) }
  inc(labels?: Labels, by?: number): void { this.labels(labels).inc(by) }
}

export class GaugeFamily extends Family<GaugeSeries> implements Gauge {
  readonly kind = 'gauge'
  protected make(values: readonly string[], pairs: string): GaugeSeries { return new GaugeSeries(values, pairs) }
  set(value: number, labels?: Labels): void { this.labels(labels).set(value) }
  inc(labels?: Labels, by?: number): void { this.labels(labels).inc(by) }
  dec(labels?: Labels, by?: number): void { this.labels(labels).dec(by) }
  reset(): void {
    if (this.labelNames.length === 0) return this.labels(undefined).set(0)
    this.series.clear()
    this.ordered = undefined
  }
}

export class HistogramFamily extends Family<HistogramSeries> implements Histogram {
  readonly kind = 'histogram'
  protected make(values: readonly string[], pairs: string): HistogramSeries {
    return new HistogramSeries(values, pairs, this.bounds)
  }
  observe(value: number, labels?: Labels): void { this.labels(labels).observe(value) }
}

/** One label: the value itself. Several: length-prefixed values, so no two label sets share a key. */
function labelKey(metric: string, names: readonly string[], labels: Labels | undefined): string {
  let key = ''
  for (let i = 0; i < names.length; i++) {
    const value = labels?.[names[i]!]
    if (typeof value !== 'string') throw new TypeError(`metric "${metric}": label "${names[i]}" is missing`)
    if (names.length === 1) return value
    key += value.length + ':' + value
  }
  return key
}


function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return 0
}

function formatNumber(v: number): string {
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return Number.isNaN(v) ? 'NaN' : String(v)
}

function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}
