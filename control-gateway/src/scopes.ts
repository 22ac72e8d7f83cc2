/** The scopes an admin token can grant, and which one each ControlService method needs. */
import { ControlService } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'

export const SCOPES = ['bundle:read', 'bundle:write', 'node:drain', 'debug:read'] as const
export type Scope = (typeof SCOPES)[number]

const BY_METHOD: Readonly<Record<keyof typeof ControlService.method, Scope>> = {
  validateBundle: 'bundle:read',
  diffBundle: 'bundle:read',
  applyBundle: 'bundle:write',
  rollbackBundle: 'bundle:write',
  listVersions: 'bundle:read',
  getVersion: 'bundle:read',
  getStatus: 'bundle:read',
  drainNode: 'node:drain',
  listAuditRecords: 'debug:read',
  watchBundle: 'bundle:read',
  reportNodeStatus: 'bundle:read',
}

/** `/gatehouse.control.v1.ControlService/ApplyBundle` -> { method: 'ApplyBundle', scope: 'bundle:write' }. */
export const SCOPE_BY_PATH: ReadonlyMap<string, { readonly method: string; readonly scope: Scope }> = new Map(
  Object.entries(BY_METHOD).map(([local, scope]) => {
    const method = ControlService.method[local as keyof typeof ControlService.method]
    return [`/${ControlService.typeName}/${method.name}`, { method: method.name, scope }]
  }),
)
