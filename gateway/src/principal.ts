/** Who a request acts for, as established by an authentication policy (`jwt` today). */
export interface Principal {
  /** The authenticated subject (by default the token's `sub`). */
  readonly subject: string
  /** The subject's tenant, when the policy names a tenant claim and the token carries it. */
  readonly tenant?: string
  /** Granted scopes (a space-separated string or a list in the token). */
  readonly scopes: readonly string[]
  /** Granted roles. */
  readonly roles: readonly string[]
  /** Every verified claim of the credential, read-only. */
  readonly claims: Readonly<Record<string, unknown>>
}
