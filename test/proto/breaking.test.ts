// buf breaking (FILE rules) against the protos of a commit, and proof that the check bites.
//
// The reference commit: HEAD while the work tree's .proto files differ from it (a change being
// made), otherwise HEAD~1 (the change of the last commit: what CI, on a clean checkout, checks).
// `buf breaking proto --against '.git#ref=HEAD,subdir=proto'` cannot work here: the google/api
// protos come from node_modules, which git does not hold. So the reference's .proto files are
// written into a temporary workspace (with the work tree's buf.yaml and a link to node_modules)
// and compared as a directory: `buf breaking proto --against <tmp>/proto`.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buf, git, tempWorkspace, workTreeProtos } from './buf.ts'

interface Reference {
  ref: string
  protos: Map<string, string>
}

/** The .proto files of `ref` under proto/ (relative to proto/), or undefined when git or the commit is unavailable. */
function protosAt(ref: string): Map<string, string> | undefined {
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  } catch {
    return undefined // no such commit (e.g. a shallow clone, or the first commit)
  }
  const paths = git(['ls-tree', '-r', '--name-only', ref, '--', 'proto'])
    .split('\n')
    .filter((p) => p.endsWith('.proto') && !p.startsWith('proto/gen/'))
  return new Map(paths.map((p) => [p.slice('proto/'.length), git(['show', `${ref}:${p}`])]))
}

function reference(): Reference | undefined {
  let changed: boolean
  try {
    changed = git(['status', '--porcelain', '--untracked-files=all', '--', 'proto'])
      .split('\n')
      .some((line) => line.trimEnd().endsWith('.proto'))
  } catch {
    return undefined // not a git checkout
  }
  const ref = changed ? 'HEAD' : 'HEAD~1'
  const protos = protosAt(ref)
  return protos && protos.size > 0 ? { ref, protos } : undefined
}

const temps: string[] = []
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })))
})

/** Runs `buf breaking proto --against <against>/proto` inside the workspace `dir`: exit status, rule ids and messages reported. */
function breaking(dir: string, against: string) {
  const r = buf(['breaking', 'proto', '--against', join(against, 'proto'), '--error-format', 'json'], dir)
  const found = r.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; message: string })
  return { status: r.status, rules: found.map((f) => f.type), messages: found.map((f) => f.message), output: r.stdout + r.stderr }
}

/** A small extra file (beside the real protos, so imports resolve as in the work tree) whose response fields vary. */
function withProbe(protos: Map<string, string>, responseFields: string): Map<string, string> {
  const probe = `syntax = "proto3";
package gatehouse.probe.v1;
import "google/api/annotations.proto";
service ProbeService {
  rpc GetProbe(GetProbeRequest) returns (GetProbeResponse) {
    option (google.api.http) = {get: "/v1/probes/{id}"};
  }
}
message GetProbeRequest {
  string id = 1;
}
message GetProbeResponse {
${responseFields}}
`
  return new Map([...protos, ['gatehouse/probe/v1/probe.proto', probe]])
}

const PROBE_FIELDS = '  string name = 1;\n  int64 size = 2;\n'

const ref = reference()

describe('buf breaking', () => {
  it.skipIf(ref === undefined)(`finds no breaking change against ${ref?.ref ?? 'the previous commit (none has protos)'}`, async () => {
    if (!ref) return
    const current = await tempWorkspace(await workTreeProtos(), 'current')
    const previous = await tempWorkspace(ref.protos, 'previous')
    temps.push(current, previous)
    const r = breaking(current, previous)
    expect(r.status, `breaking changes against ${ref.ref}:\n${r.output}`).toBe(0)
  })

  it('reports a deleted field (FIELD_NO_DELETE)', async () => {
    const protos = await workTreeProtos()
    const previous = await tempWorkspace(withProbe(protos, PROBE_FIELDS), 'previous')
    const current = await tempWorkspace(withProbe(protos, '  string name = 1;\n'), 'current')
    temps.push(current, previous)
    const r = breaking(current, previous)
    expect(r.status, r.output).toBe(100)
    expect(r.rules).toEqual(['FIELD_NO_DELETE'])
    expect(r.messages[0]).toContain('"size" on message "GetProbeResponse"')
  })

  it('accepts an added field', async () => {
    const protos = await workTreeProtos()
    const previous = await tempWorkspace(withProbe(protos, PROBE_FIELDS), 'previous')
    const current = await tempWorkspace(withProbe(protos, `${PROBE_FIELDS}  bytes added = 3;\n`), 'current')
    temps.push(current, previous)
    const r = breaking(current, previous)
    expect(r.status, r.output).toBe(0)
  })
})
