import type { Role } from './role.ts'
import { metadataRole } from './roles/metadata.ts'

/** The internal roles, by `--role` name. */
export const ROLES: ReadonlyMap<string, Role> = new Map<string, Role>([metadataRole].map((r) => [r.name, r]))
