import { formatProblem, formatRouteTable } from '../src/bundle/format.ts'
import { bundleJsonSchema } from '../src/bundle/json-schema.ts'
import { BundleError, loadBundle } from '../src/bundle/load.ts'
import type { Bundle } from '../src/bundle/types.ts'
import { readBundleDir } from '../runtime/bundle-files.ts'
import { writeFile } from 'node:fs/promises'
import type { Command } from './command.ts'

/** Loads DIR (default `policies`); prints one `file:line:column: message` per problem on failure. */
async function withBundle(args: readonly string[], use: (bundle: Bundle, dir: string) => void): Promise<number> {
  const dir = args[0] ?? 'policies'
  try {
    use(await loadBundle(await readBundleDir(dir)), dir)
    return 0
  } catch (err) {
    if (!(err instanceof BundleError)) throw err
    for (const problem of err.problems) console.error(formatProblem(problem))
    console.error(`${dir}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}, bundle refused`)
    return 1
  }
}

export const check: Command = {
  name: 'check',
  usage: '[DIR]',
  summary: 'validate a policy bundle (default policies/); exit 1 with file:line:column lines on problems',
  run: (args) =>
    withBundle(args, (b, dir) => {
      const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
      console.log(
        `${dir}: ok, ${count(b.routes.length, 'route', 'routes')}, ${count(b.policies.size, 'policy', 'policies')}, ` +
          `${count(b.services.size, 'service', 'services')}, hash ${b.hash.slice(0, 12)}`,
      )
    }),
}

export const routes: Command = {
  name: 'routes',
  usage: '[DIR]',
  summary: 'print the compiled route table of a bundle',
  run: (args) => withBundle(args, (b) => console.log(formatRouteTable(b))),
}

export const schema: Command = {
  name: 'schema',
  usage: '[--write]',
  summary: 'print the JSON Schema of policy files (--write: into policies/schema.json)',
  async run(args) {
    const text = `${JSON.stringify(bundleJsonSchema(), null, 2)}\n`
    if (args[0] === '--write') await writeFile('policies/schema.json', text)
    else process.stdout.write(text)
    return 0
  },
}
