/** A policy file as read from disk; `path` is how messages name it (relative to the cwd). */
export interface SourceFile {
  readonly path: string
  readonly text: string
}

export interface SourceLocation {
  readonly file: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly column: number
}

/** One thing wrong with a bundle, located in its source. */
export interface BundleProblem {
  readonly location: SourceLocation
  /** Where inside the merged document, e.g. `routes[2].match.path` or `policies.auth.issuer`. */
  readonly path: string
  /** What is wrong, with a "did you mean" suggestion where one exists. */
  readonly message: string
}

export interface Service {
  readonly name: string
  readonly kind: 'http'
  readonly endpoints: readonly { readonly url: URL; readonly zone: string | undefined }[]
  /** Default timeout (time to response headers) of routes to this service. */
  readonly timeoutMs: number | undefined
  /** Send the client's Host upstream instead of the endpoint's. */
  readonly preserveHost: boolean
}

export interface PolicyInstance {
  readonly name: string
  readonly type: string
  /** The output of the type's options schema (defaults filled). */
  readonly options: Readonly<Record<string, unknown>>
  readonly location: SourceLocation
}

export interface RouteMatchSpec {
  /** Upper-case; undefined = any method. */
  readonly methods: readonly string[] | undefined
  /** Lower-case exact host (no port) or `*.example.com`; undefined = any host. */
  readonly host: string | undefined
  /** The path template as written, e.g. `/v1/items/{id}` or `/files/{rest=**}`; undefined on rpc routes (annotations give it). */
  readonly path: string | undefined
  /** Lower-case header name -> exact value required, or `*` = must be present. */
  readonly headers: Readonly<Record<string, string>>
}

export interface RouteSpec {
  readonly id: string
  readonly match: RouteMatchSpec
  /** Policy instance names, in the order they run. */
  readonly policies: readonly string[]
  /** Time allowed until the upstream's response headers arrive. */
  readonly timeoutMs: number
  readonly upstream: RouteUpstream
  /** Per-route admission (per process): slots, waiting places, longest wait. Undefined = no limit. */
  readonly concurrency?: RouteConcurrency | undefined
  readonly location: SourceLocation
}

/** Where a route's requests go: reverse proxy, Connect/gRPC-web/gRPC as is, or REST transcoded to protobuf calls. */
export type RouteUpstream =
  | { readonly kind: 'http'; readonly service: string }
  | { readonly kind: 'passthrough'; readonly service: string }
  /** `proto`: package.Service (every annotated method) or package.Service/Method. */
  | { readonly kind: 'rpc'; readonly service: string; readonly proto: string }

export interface RouteConcurrency {
  readonly limit: number
  readonly queue: number
  readonly maxWaitMs: number
  /** Adapt the limit to observed latency between `min` and `limit` (internal/shell/adaptive-limit.ts). */
  readonly adaptive?: { readonly min: number } | undefined
}

/** A validated, merged bundle. Immutable; `hash` is over the normalised content, not the formatting. */
export interface Bundle {
  readonly hash: string
  readonly files: readonly string[]
  readonly services: ReadonlyMap<string, Service>
  readonly policies: ReadonlyMap<string, PolicyInstance>
  readonly routes: readonly RouteSpec[]
}
