/** The deadline headers of gRPC (and gRPC-web) and of the Connect protocol, read in one place. */

const GRPC_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 }

/** `grpc-timeout` (`<1-8 digits><H|M|S|m|u|n>`) in ms (fractional below 1 ms); undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | null | undefined): number | undefined {
  const m = value == null ? null : /^(\d{1,8})([HMSmun])$/.exec(value)
  return m ? Number(m[1]) * (GRPC_UNIT_MS[m[2] as string] as number) : undefined
}

/** `connect-timeout-ms` (1-10 digits); undefined when absent or malformed. */
export function parseConnectTimeout(value: string | null | undefined): number | undefined {
  return value != null && /^\d{1,10}$/.test(value) ? Number(value) : undefined
}
