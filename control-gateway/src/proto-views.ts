/** Stored values -> ControlService messages. */
import { create } from '@bufbuild/protobuf'
import { timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt'
import { AuditRecordSchema, BundleChangeSchema, ChangeKind, NodeSchema, VersionSchema } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { AuditRecord, BundleChange, Node, Version } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { AuditEntry } from './audit.ts'
import type { Change } from './diff.ts'
import type { NodeView } from './nodes.ts'
import type { StoredVersion } from './stored.ts'

export function versionView(v: StoredVersion, withFiles = false): Version {
  return create(VersionSchema, {
    version: BigInt(v.version),
    hash: v.hash,
    createTime: timestampFromDate(new Date(v.createdAt)),
    author: v.author,
    reason: v.reason,
    canaryLabel: v.canaryLabel,
    rollbackOf: BigInt(v.rollbackOf),
    files: withFiles ? v.files.map((f) => ({ path: f.path, text: f.text })) : [],
  })
}

const KINDS = { added: ChangeKind.ADDED, removed: ChangeKind.REMOVED, changed: ChangeKind.CHANGED } as const

export const changeView = (c: Change): BundleChange =>
  create(BundleChangeSchema, { section: c.section, name: c.name, kind: KINDS[c.kind], fields: [...c.fields] })

export const nodeView = (n: NodeView): Node =>
  create(NodeSchema, { ...n, problems: [...n.problems], lastSeen: timestampFromMs(n.lastSeen) })

export const auditView = (e: AuditEntry): AuditRecord => create(AuditRecordSchema, { ...e, time: timestampFromDate(new Date(e.time)) })
