import { desiredFor } from './stored.ts'
import type { Head } from './stored.ts'

/** One edge gateway as the control gateway knows it (in memory: gateways re-subscribe after a restart). */
export interface NodeView {
  readonly nodeId: string
  readonly label: string
  readonly runningHash: string
  readonly desiredHash: string
  readonly converged: boolean
  readonly problems: readonly string[]
  readonly lastSeen: number
  readonly connected: boolean
}

interface NodeState {
  label: string
  runningHash: string
  problems: readonly string[]
  lastSeen: number
  /** Open subscription streams, each with how to ask it to drain. */
  streams: Set<() => void>
}

export interface NodeTable {
  /** A subscription opened; returns a function to call when it closes. */
  connect(nodeId: string, label: string, onDrain: () => void): () => void
  report(nodeId: string, label: string, runningHash: string, problems: readonly string[]): void
  /** Asks every stream of the node to drain; false when it has none open. */
  drain(nodeId: string): boolean
  /** Connected nodes and those seen within `forgetMs`, by id. */
  list(head: Head): NodeView[]
}

export function createNodeTable(options: { now?: () => number; forgetMs?: number } = {}): NodeTable {
  const now = options.now ?? Date.now
  const forgetMs = options.forgetMs ?? 60_000
  const nodes = new Map<string, NodeState>()
  const get = (nodeId: string, label: string): NodeState => {
    let state = nodes.get(nodeId)
    if (!state) nodes.set(nodeId, (state = { label, runningHash: '', problems: [], lastSeen: now(), streams: new Set() }))
    state.label = label
    state.lastSeen = now()
    return state
  }
  return {
    connect(nodeId, label, onDrain) {
      const state = get(nodeId, label)
      state.streams.add(onDrain)
      return () => {
        state.streams.delete(onDrain)
        state.lastSeen = now()
      }
    },
    report(nodeId, label, runningHash, problems) {
      const state = get(nodeId, label)
      state.runningHash = runningHash
      state.problems = problems
    },
    drain(nodeId) {
      const streams = [...(nodes.get(nodeId)?.streams ?? [])]
      for (const drain of streams) drain()
      return streams.length > 0
    },
    list(head) {
      const views: NodeView[] = []
      for (const [nodeId, state] of [...nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const connected = state.streams.size > 0
        if (!connected && now() - state.lastSeen > forgetMs) {
          nodes.delete(nodeId)
          continue
        }
        const desiredHash = desiredFor(head, state.label)?.hash ?? ''
        views.push({
          nodeId,
          label: state.label,
          runningHash: state.runningHash,
          desiredHash,
          converged: state.runningHash === desiredHash,
          problems: state.problems,
          lastSeen: state.lastSeen,
          connected,
        })
      }
      return views
    },
  }
}
