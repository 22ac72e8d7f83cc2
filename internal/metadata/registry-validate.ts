import type { Duration } from '@bufbuild/protobuf/wkt'
import { NodeRole, type RegisterNodeRequest } from '../../proto/gen/gatehouse/metadata/v1/registry_pb.ts'
import { invalidArgument, quote } from './errors.ts'

/** Limits of registry.proto; each violation is INVALID_ARGUMENT naming the field and the rule. */
export const DEFAULT_TTL_MS = 10_000
export const MIN_TTL_MS = 1_000
export const MAX_TTL_MS = 300_000
const MAX_LABELS = 32
const MAX_LABEL_VALUE = 256
const MAX_ZONE = 128
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/
const LABEL_KEY = /^[a-z0-9._/-]{1,63}$/
const ADDRESS = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/
const CONTROL = /[\u0000-\u001f\u007f]/

/** A validated registration: what a lease is made of. */
export interface Registration {
  readonly nodeId: string
  readonly role: NodeRole
  readonly address: string
  readonly zone: string
  readonly labels: Readonly<Record<string, string>>
  readonly ttlMs: number
}

export function checkNodeId(nodeId: string): void {
  if (NODE_ID.test(nodeId)) return
  if (nodeId === '') throw invalidArgument('node_id is empty; it is 1 to 128 characters of [A-Za-z0-9._:-]')
  const length = [...nodeId].length
  if (length > 128) throw invalidArgument(`node_id is ${length} characters; at most 128`)
  const bad = [...nodeId].find((c) => !/[A-Za-z0-9._:-]/.test(c))!
  throw invalidArgument(`node_id ${quote(nodeId)} contains ${quote(bad)}; allowed characters are [A-Za-z0-9._:-]`)
}

/** A role filter: UNSPECIFIED means every role; numbers outside the enum are rejected. */
export function checkRoleFilter(role: NodeRole): void {
  if (typeof NodeRole[role] !== 'string') throw invalidArgument(`role ${role} is not a NodeRole`)
}

function checkAddress(address: string): void {
  const match = ADDRESS.exec(address)
  const port = Number(match?.[2])
  let parsed = false
  try {
    parsed = match !== null && new URL(address).hostname !== ''
  } catch {
    parsed = false
  }
  if (!parsed || port < 1 || port > 65535) {
    throw invalidArgument(`address ${quote(address)} is not a base URL "http://host:port" or "https://host:port" (no path)`)
  }
}

function ttlMs(ttl: Duration | undefined): number {
  if (!ttl) return DEFAULT_TTL_MS
  const nanos = ttl.nanos
  if (nanos <= -1e9 || nanos >= 1e9 || (ttl.seconds > 0n && nanos < 0) || (ttl.seconds < 0n && nanos > 0)) {
    throw invalidArgument(`ttl is not a valid Duration (seconds ${ttl.seconds}, nanos ${nanos})`)
  }
  const ms = Number(ttl.seconds) * 1000 + nanos / 1e6
  if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) {
    throw invalidArgument(`ttl is ${ms / 1000}s; it must be from 1s to 300s (5 min), or unset for 10s`)
  }
  return ms
}

function checkLabels(labels: Readonly<Record<string, string>>): void {
  const entries = Object.entries(labels)
  if (entries.length > MAX_LABELS) throw invalidArgument(`labels has ${entries.length} entries; at most ${MAX_LABELS}`)
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) throw invalidArgument(`label key ${quote(key)} is not 1 to 63 characters of [a-z0-9._/-]`)
    const length = [...value].length
    if (length > MAX_LABEL_VALUE) {
      throw invalidArgument(`label ${quote(key)} has a value of ${length} characters; at most ${MAX_LABEL_VALUE}`)
    }
  }
}

function checkZone(zone: string): void {
  if ([...zone].length > MAX_ZONE) throw invalidArgument(`zone is ${[...zone].length} characters; at most ${MAX_ZONE}`)
  if (CONTROL.test(zone)) throw invalidArgument(`zone ${quote(zone)} contains a control character`)
}

export function readRegistration(req: RegisterNodeRequest): Registration {
  checkNodeId(req.nodeId)
  if (req.role === NodeRole.UNSPECIFIED) throw invalidArgument('role is required (NODE_ROLE_UNSPECIFIED is not a role)')
  checkRoleFilter(req.role)
  checkAddress(req.address)
  checkZone(req.zone)
  checkLabels(req.labels)
  return { nodeId: req.nodeId, role: req.role, address: req.address, zone: req.zone, labels: { ...req.labels }, ttlMs: ttlMs(req.ttl) }
}
