/**
 * The published JSON Schema of policy files (`policies/schema.json`), for editors: draft-07 so
 * yaml-language-server accepts it, input side (durations are strings), policies discriminated
 * on `type` so completion offers each type's own options.
 */
import { z } from 'zod'
import { documentSchema } from './schema.ts'

export function bundleJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(documentSchema(), { target: 'draft-07', io: 'input' })
  return {
    $schema: schema.$schema,
    title: 'Gatehouse policy file',
    description:
      'One file of a Gatehouse policy bundle: upstream services, named policy instances and routes. ' +
      'All files of a bundle directory are merged; names and route ids are unique across them.',
    ...schema,
  }
}
