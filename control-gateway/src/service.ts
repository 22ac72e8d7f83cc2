import { Code, ConnectError } from '@connectrpc/connect'
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect'
import type { Bundle } from '../../gateway/src/bundle/types.ts'
import { BundleProblemsSchema } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { AuditLog } from './audit.ts'
import type { Registry } from '../../internal/shell/metrics.ts'
import { loadOrRefuse, sourceFiles } from './bundle-input.ts'
import { createAudited } from './audited.ts'
import type { BundleStore } from './bundle-store.ts'
import { readCallSite } from './call-site.ts'
import { diffBundles } from './diff.ts'
import type { HeadFollower } from './head-follower.ts'
import type { NodeTable } from './nodes.ts'
import { auditView, changeView, nodeView, versionView } from './proto-views.ts'
import { applyBundleTo, rollbackTo } from './head-changes.ts'
import { desiredFor, headHash } from './stored.ts'
import type { StoredVersion } from './stored.ts'
import { watchBundle } from './watch-bundle.ts'

export interface ControlDeps {
  readonly store: BundleStore
  readonly follower: HeadFollower
  readonly nodes: NodeTable
  readonly audit: AuditLog
  /** Aborts every subscription stream (the process drains). */
  readonly stopping?: AbortSignal
  /** Counts `gatehouse_control_calls_total{action,result}` of the mutating calls. */
  readonly metrics?: Registry
}

const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/
const LABEL = /^[A-Za-z0-9._:-]{0,63}$/

/** The ControlService: validate, diff, apply, roll back, status, drain, audit, and the gateways' subscription. */
export function createControlService(deps: ControlDeps): Partial<ServiceImpl<typeof ControlService>> {
  const { store, follower, nodes, audit } = deps
  const loaded = new Map<string, Promise<Bundle>>() // by hash: the stored bundles diffs compare with

  const loadStored = (v: StoredVersion): Promise<Bundle> => {
    let bundle = loaded.get(v.hash)
    if (!bundle) {
      if (loaded.size > 8) loaded.clear()
      bundle = loadOrRefuse(v.files)
      bundle.catch(() => loaded.delete(v.hash)) // a failure is not cached
      loaded.set(v.hash, bundle)
    }
    return bundle
  }

  const audited = createAudited(audit, () => headHash(follower.current()), deps.metrics)

  const meta = (ctx: HandlerContext, reason: string) => ({ author: readCallSite(ctx.requestHeader).subject, reason, now: new Date() })

  return {
    async validateBundle(req) {
      try {
        const bundle = await loadOrRefuse(sourceFiles(req.files))
        return { valid: true, hash: bundle.hash }
      } catch (err) {
        const problems = ConnectError.from(err).findDetails(BundleProblemsSchema)
        if (problems.length === 0) throw err
        return { valid: false, problems: problems.flatMap((p) => p.problems) }
      }
    },

    async diffBundle(req) {
      const bundle = await loadOrRefuse(sourceFiles(req.files))
      const head = follower.current()
      const current = desiredFor(head, req.canaryLabel)
      const running = current && (await loadStored(current).catch((err: unknown) => {
        // Stored by an older control gateway whose loader accepted it: say so rather than blame the caller's files.
        throw new ConnectError(`the running version ${current.version} no longer validates here: ${ConnectError.from(err).rawMessage}`, Code.FailedPrecondition)
      }))
      const changes = diffBundles(running, bundle)
      return {
        currentHash: current?.hash ?? '',
        currentVersion: BigInt(current?.version ?? 0),
        newHash: bundle.hash,
        changes: changes.map(changeView),
      }
    },

    applyBundle: (req, ctx) =>
      audited(ctx, 'ApplyBundle', req.canaryLabel ? `canary=${req.canaryLabel}` : 'all', async () => {
        if (!LABEL.test(req.canaryLabel)) throw new ConnectError('canary_label: 1-63 of [A-Za-z0-9._:-]', Code.InvalidArgument)
        const files = sourceFiles(req.files)
        const bundle = await loadOrRefuse(files)
        let what = ''
        const { before, after, revision } = await store.update(req.expectedHash, (head) => {
          const change = applyBundleTo(head, { hash: bundle.hash, files }, req.canaryLabel, meta(ctx, req.reason))
          what = change.what
          return change.next
        })
        if (revision > 0n) follower.offer(after, revision)
        const running = req.canaryLabel !== '' ? after.canary : after.stable
        return {
          response: { version: running && versionView(running), unchanged: revision === 0n },
          oldHash: headHash(before),
          newHash: headHash(after),
          message: `${what}${req.reason ? `: ${req.reason}` : ''}`,
        }
      }),

    rollbackBundle: (req, ctx) =>
      audited(ctx, 'RollbackBundle', `version=${req.version}`, async () => {
        const target = req.version > 0n && req.version <= BigInt(Number.MAX_SAFE_INTEGER) ? await store.getVersion(Number(req.version)) : undefined
        if (!target) throw new ConnectError(`version ${req.version} not found`, Code.NotFound)
        let what = ''
        const { before, after, revision } = await store.update(req.expectedHash === '' ? undefined : req.expectedHash, (head) => {
          const change = rollbackTo(head, target, meta(ctx, req.reason))
          what = change.what
          return change.next
        })
        if (revision > 0n) follower.offer(after, revision)
        const stable = after.stable as StoredVersion
        return {
          response: { version: versionView(stable) },
          oldHash: headHash(before),
          newHash: headHash(after),
          message: `${what}${req.reason ? `: ${req.reason}` : ''}`,
        }
      }),

    async listVersions(req) {
      const limit = req.pageSize <= 0 ? 100 : Math.min(req.pageSize, 1000)
      return { versions: (await store.listVersions(limit)).map((v) => versionView(v)) }
    },

    async getVersion(req) {
      const found = req.version > 0n && req.version <= BigInt(Number.MAX_SAFE_INTEGER) ? await store.getVersion(Number(req.version)) : undefined
      if (!found) throw new ConnectError(`version ${req.version} not found`, Code.NotFound)
      return { version: versionView(found, true) }
    },

    async getStatus() {
      const head = follower.current()
      const list = nodes.list(head)
      return {
        stable: head.stable && versionView(head.stable),
        canary: head.canary && versionView(head.canary),
        headHash: headHash(head),
        nodes: list.map(nodeView),
        converged: list.every((n) => !n.connected || n.converged),
      }
    },

    drainNode: (req, ctx) =>
      audited(ctx, 'DrainNode', `node=${req.nodeId}`, async () => {
        if (!nodes.drain(req.nodeId)) throw new ConnectError(`no connected gateway "${req.nodeId}"`, Code.NotFound)
        const hash = headHash(follower.current())
        return { response: {}, oldHash: hash, newHash: hash, message: 'drain requested' }
      }),

    async listAuditRecords(req) {
      const limit = req.pageSize <= 0 ? 100 : Math.min(req.pageSize, 1000)
      return { records: (await audit.recent(limit)).map(auditView) }
    },

    watchBundle(req, ctx) {
      checkNode(req.nodeId, req.label)
      return watchBundle({ follower, nodes, nodeId: req.nodeId, label: req.label, signal: deps.stopping ? AbortSignal.any([ctx.signal, deps.stopping]) : ctx.signal })
    },

    async reportNodeStatus(req) {
      checkNode(req.nodeId, req.label)
      nodes.report(req.nodeId, req.label, req.runningHash, req.problems.slice(0, 50))
      return {}
    },
  }
}

function checkNode(nodeId: string, label: string): void {
  if (!NODE_ID.test(nodeId)) throw new ConnectError('node_id: 1-128 of [A-Za-z0-9._:-]', Code.InvalidArgument)
  if (!LABEL.test(label)) throw new ConnectError('label: up to 63 of [A-Za-z0-9._:-]', Code.InvalidArgument)
}
