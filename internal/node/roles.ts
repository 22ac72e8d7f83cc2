import type { Role } from './role.ts'

/** The internal roles, by `--role` name. */
export const ROLES: ReadonlyMap<string, Role> = new Map<string, Role>([])
