/**
 * A small Prometheus registry for the CN shell (prom-client is Node-only): counters, gauges and
 * histograms, rendered in the text exposition format 0.0.4.
 *
 * Hot path: `inc`/`observe` build one label key string and do a Map lookup; `labels()` children
 * skip even that. Label values are escaped once, when a series is first seen, never per call.
 */

import { CounterFamily, GaugeFamily, HistogramFamily } from './metric-families.ts'
import type { Family, Kind, Series } from './metric-families.ts'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type Labels<L extends string = string> = Readonly<Record<L, string>>

export interface CounterChild { inc(by?: number): void }
export interface GaugeChild { set(value: number): void; inc(by?: number): void; dec(by?: number): void }
export interface HistogramChild { observe(value: number): void }

export interface Counter<L extends string = string> {
  /** Adds `by` (default 1, must be >= 0). Throws TypeError when a declared label is missing. */
  inc(labels?: Labels<L>, by?: number): void
  /** The series for one label set, cached: keep it to skip the per-call label lookup. */
  labels(labels: Labels<L>): CounterChild
}
export interface Gauge<L extends string = string> {
  set(value: number, labels?: Labels<L>): void
  inc(labels?: Labels<L>, by?: number): void
  dec(labels?: Labels<L>, by?: number): void
  labels(labels: Labels<L>): GaugeChild
  /** Drops every labelled series (children from `labels()` are detached); a label-less gauge goes to 0. */
  reset(): void
}
export interface Histogram<L extends string = string> {
  observe(value: number, labels?: Labels<L>): void
  labels(labels: Labels<L>): HistogramChild
}

export interface Registry {
  /** Registering a name again returns the same metric if kind, labels (and buckets) match; else TypeError. */
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>
  /** `buckets` are upper bounds, strictly increasing; `+Inf` is implied. */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L>
  render(): string
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

export function createRegistry(): Registry {
  const families = new Map<string, Family<Series>>()
  let ordered: Family<Series>[] | undefined

  function register<F extends Family<Series>>(name: string, help: string, kind: Kind, labelNames: readonly string[],
    bounds: readonly number[], make: () => F): F {
    const existing = families.get(name)
    if (existing) {
      if (existing.kind === kind && sameList(existing.labelNames, labelNames) && sameList(existing.bounds, bounds)) {
        return existing as F
      }
      throw new TypeError(`metric "${name}" is already registered as a ${existing.kind} with other labels or buckets`)
    }
    validate(name, help, kind, labelNames)
    const family = make()
    families.set(name, family)
    ordered = undefined
    return family
  }

  return {
    counter: (name, help, labelNames = []) =>
      register(name, help, 'counter', labelNames, [], () => new CounterFamily(name, help, labelNames)),
    gauge: (name, help, labelNames = []) =>
      register(name, help, 'gauge', labelNames, [], () => new GaugeFamily(name, help, labelNames)),
    histogram(name, help, labelNames, buckets) {
      const bounds = checkBuckets(name, buckets)
      return register(name, help, 'histogram', labelNames, bounds, () => new HistogramFamily(name, help, labelNames, bounds))
    },
    render() {
      ordered ??= [...families.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
      let out = ''
      for (const family of ordered) out += family.render()
      return out
    },
  }
}

function validate(name: string, help: string, kind: Kind, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name "${name}"`)
  if (typeof help !== 'string') throw new TypeError(`metric "${name}": help must be a string`)
  const seen = new Set<string>()
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new TypeError(`metric "${name}": invalid label name "${label}"`)
    if (kind === 'histogram' && label === 'le') throw new TypeError(`metric "${name}": "le" is reserved in histograms`)
    if (seen.has(label)) throw new TypeError(`metric "${name}": duplicate label "${label}"`)
    seen.add(label)
  }
}

function checkBuckets(name: string, buckets: readonly number[]): readonly number[] {
  const bounds = buckets.at(-1) === Infinity ? buckets.slice(0, -1) : buckets.slice()
  bounds.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && !(b > bounds[i - 1]!))) {
      throw new TypeError(`histogram "${name}": buckets must be finite and strictly increasing`)
    }
  })
  return bounds
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

