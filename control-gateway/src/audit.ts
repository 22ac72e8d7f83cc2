/** The audit log: one record per mutating call and per refused call (who, from where, what, hashes, result). */

export interface AuditEntry {
  /** ISO 8601. */
  readonly time: string
  /** The token's subject; empty when unauthenticated. */
  readonly subject: string
  readonly remoteAddress: string
  readonly requestId: string
  /** The RPC method, e.g. `ApplyBundle`. */
  readonly action: string
  /** What it was about, e.g. `canary=eu`, `version=3`, `node=gw-1`. */
  readonly target: string
  readonly oldHash: string
  readonly newHash: string
  /** `ok` or the error code (`STALE_EPOCH`, `UNAUTHENTICATED`, ...). */
  readonly result: string
  readonly message: string
}

/** Append-only storage of audit records (control-gateway/runtime/audit-file.ts: an fsynced JSON-lines file). */
export interface AuditLog {
  /** Resolves once the record is durable. */
  append(entry: AuditEntry): Promise<void>
  /** The newest `limit` records, newest first. */
  recent(limit: number): Promise<AuditEntry[]>
}

/** Who made a call, as the guard established it (see guard.ts). */
export interface CallSite {
  readonly subject: string
  readonly remoteAddress: string
  readonly requestId: string
}

/** An audit record with the time filled in and the optional fields empty. */
export function auditEntry(site: CallSite, fields: Pick<AuditEntry, 'action' | 'result'> & Partial<AuditEntry>): AuditEntry {
  return { time: new Date().toISOString(), target: '', oldHash: '', newHash: '', message: '', ...site, ...fields }
}

/** In memory, for unit tests. */
export function createMemoryAuditLog(): AuditLog & { readonly entries: AuditEntry[] } {
  const entries: AuditEntry[] = []
  return {
    entries,
    async append(entry) {
      entries.push(entry)
    },
    async recent(limit) {
      return entries.slice(-limit).reverse()
    },
  }
}
