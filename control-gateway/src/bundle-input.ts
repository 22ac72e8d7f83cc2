/** Bundles sent to the control gateway: input limits, loading, and problems as a Connect error. */
import { create } from '@bufbuild/protobuf'
import { Code, ConnectError } from '@connectrpc/connect'
import { BundleError, loadBundle } from '../../gateway/src/bundle/load.ts'
import type { Bundle, BundleProblem, SourceFile } from '../../gateway/src/bundle/types.ts'
import { BundleProblemSchema, BundleProblemsSchema } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'
import type { BundleProblem as ProtoProblem } from '../../proto/gen/gatehouse/control/v1/control_pb.ts'

/**
 * The head record holds up to two bundles (stable and canary) in one metadata value of at most
 * 1 MiB, so one bundle's text is limited to less than half of it.
 */
export const MAX_BUNDLE_BYTES = 480 * 1024
export const MAX_FILES = 200

const BAD_PATH = /[\u0000-\u001f\u007f]/

/** The files as SourceFiles, or INVALID_ARGUMENT naming the broken rule. */
export function sourceFiles(files: readonly { path: string; text: string }[]): SourceFile[] {
  if (files.length === 0) throw new ConnectError('a bundle needs at least one file', Code.InvalidArgument)
  if (files.length > MAX_FILES) throw new ConnectError(`a bundle has at most ${MAX_FILES} files`, Code.InvalidArgument)
  const seen = new Set<string>()
  let bytes = 0
  for (const { path, text } of files) {
    if (path === '' || path.length > 512 || BAD_PATH.test(path)) throw new ConnectError(`bad file path ${JSON.stringify(path)}`, Code.InvalidArgument)
    if (seen.has(path)) throw new ConnectError(`file ${JSON.stringify(path)} is sent twice`, Code.InvalidArgument)
    seen.add(path)
    bytes += new TextEncoder().encode(text).length
  }
  if (bytes > MAX_BUNDLE_BYTES) throw new ConnectError(`a bundle has at most ${MAX_BUNDLE_BYTES} bytes of text`, Code.InvalidArgument)
  return files.map(({ path, text }) => ({ path, text }))
}

export function toProtoProblem(problem: BundleProblem): ProtoProblem {
  const { file, line, column } = problem.location
  return create(BundleProblemSchema, { file, line, column, path: problem.path, message: problem.message })
}

/** Loads the bundle; an invalid one is INVALID_ARGUMENT with every problem in a BundleProblems detail. */
export async function loadOrRefuse(files: readonly SourceFile[]): Promise<Bundle> {
  try {
    return await loadBundle(files)
  } catch (err) {
    if (!(err instanceof BundleError)) throw err
    const problems = err.problems.map(toProtoProblem)
    throw new ConnectError(`invalid bundle (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${err.message}`, Code.InvalidArgument, undefined, [
      { desc: BundleProblemsSchema, value: { problems } },
    ])
  }
}
