/**
 * Where the nodes of one upstream are. An `EndpointSource` is a live list: the static one here
 * (endpoints from the bundle or a flag), a registry-backed one later (`WatchNodes` replaces the
 * whole list on each message, which is exactly `update()` below). The egress client reads
 * `current()` on every call and prunes its per-endpoint state when a subscriber hears of a change.
 */

export interface Endpoint {
  /** Base URL of the node, `http(s)://host:port`, normalised without a trailing slash. */
  readonly url: string
  /** The node's zone; the balancer prefers endpoints in the caller's zone. */
  readonly zone?: string | undefined
  readonly labels?: Readonly<Record<string, string>> | undefined
}

export type EndpointListener = (endpoints: readonly Endpoint[]) => void

export interface EndpointSource {
  current(): readonly Endpoint[]
  /** Called after each change with the new list; returns the unsubscribe function. */
  subscribe(listener: EndpointListener): () => void
}

export interface StaticEndpoints extends EndpointSource {
  /** Replaces the list (a bundle reload); listeners hear of it. */
  update(endpoints: readonly (Endpoint | string)[]): void
}

/** `http://h:1/` and `http://h:1` are one endpoint; a NotLeader address must match its list entry. */
export function normalizeUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`endpoint "${url}" is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`endpoint "${url}" must be http or https`)
  return parsed.href.replace(/\/+$/, '')
}

function normalize(list: readonly (Endpoint | string)[]): readonly Endpoint[] {
  const byUrl = new Map<string, Endpoint>()
  for (const e of list) {
    const endpoint = typeof e === 'string' ? { url: e } : e
    const url = normalizeUrl(endpoint.url)
    if (!byUrl.has(url)) byUrl.set(url, { ...endpoint, url })
  }
  return Object.freeze([...byUrl.values()])
}

function listeners() {
  const set = new Set<EndpointListener>()
  return {
    subscribe(listener: EndpointListener): () => void {
      set.add(listener)
      return () => set.delete(listener)
    },
    emit(endpoints: readonly Endpoint[]): void {
      for (const l of set) l(endpoints)
    },
  }
}

/** A fixed list (URLs or endpoints), replaceable with `update()`. Throws a TypeError on a bad URL. */
export function createStaticEndpoints(endpoints: readonly (Endpoint | string)[]): StaticEndpoints {
  let list = normalize(endpoints)
  const l = listeners()
  return {
    current: () => list,
    subscribe: l.subscribe,
    update(next) {
      list = normalize(next)
      l.emit(list)
    },
  }
}

export interface TemporaryEndpoints extends EndpointSource {
  /** Adds an endpoint for `ttlMs` (a leader named by a NotLeader error); a re-add extends it. */
  add(endpoint: Endpoint, ttlMs: number): void
  /** Stops listening to the underlying source. */
  close(): void
}

/** The source's endpoints plus temporary ones, which expire on their own (checked when read). */
export function withTemporaryEndpoints(source: EndpointSource, now: () => number): TemporaryEndpoints {
  const temporary = new Map<string, { endpoint: Endpoint; until: number }>()
  const l = listeners()
  let cached: { base: readonly Endpoint[]; at: number; list: readonly Endpoint[] } | undefined
  const current = (): readonly Endpoint[] => {
    const base = source.current()
    const t = now()
    let expired = false
    for (const [url, e] of temporary) if (e.until <= t) expired = temporary.delete(url)
    if (!expired && cached?.base === base && cached.at === temporary.size) return cached.list
    const known = new Set(base.map((e) => e.url))
    const extra = [...temporary.values()].filter((e) => !known.has(e.endpoint.url)).map((e) => e.endpoint)
    cached = { base, at: temporary.size, list: extra.length === 0 ? base : Object.freeze([...base, ...extra]) }
    return cached.list
  }
  const unsubscribe = source.subscribe(() => l.emit(current()))
  return {
    current,
    subscribe: l.subscribe,
    close: unsubscribe,
    add(endpoint, ttlMs) {
      const url = normalizeUrl(endpoint.url)
      const isNew = !temporary.has(url)
      temporary.set(url, { endpoint: { ...endpoint, url }, until: now() + ttlMs })
      if (isNew) {
        cached = undefined
        l.emit(current())
      }
    },
  }
}
