import type { Role } from './role.ts'
import { metadataRole } from './roles/metadata.ts'
import { processingRole } from './roles/processing.ts'
import { storageRole } from './roles/storage.ts'

/** The internal roles, by `--role` name. */
export const ROLES: ReadonlyMap<string, Role> = new Map<string, Role>([storageRole, processingRole, metadataRole].map((r) => [r.name, r]))
