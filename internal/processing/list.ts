import { Code, ConnectError } from '@connectrpc/connect'
import { TaskState } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { ListTasksRequest, Task } from '../../proto/gen/gatehouse/processing/v1/processing_pb.ts'
import type { TaskRecord } from './task-store.ts'

const DEFAULT_PAGE_SIZE = 100
const MAX_PAGE_SIZE = 1000
const STATES = new Set<number>([
  TaskState.QUEUED,
  TaskState.RUNNING,
  TaskState.SUCCEEDED,
  TaskState.FAILED,
  TaskState.CANCELED,
])

/** What a page token holds: the filter it was made for, and the `seq` of the page's last task. */
interface Cursor {
  readonly filter: string
  readonly before: number
}

const invalid = (message: string): ConnectError => new ConnectError(message, Code.InvalidArgument)

/**
 * One page of ListTasks over `newestFirst` (every known task, newest first). The token is opaque
 * base64url JSON: the state filter (a token is valid only with the same `states`, in any order;
 * `page_size` may change between pages) and the submission sequence number to continue below,
 * so a task appears at most once however tasks are added or forgotten meanwhile. A task whose
 * state changes between two pages may be missed by a state filter (pages are not one snapshot).
 */
export function listPage(
  newestFirst: readonly TaskRecord[],
  request: ListTasksRequest,
  snapshot: (record: TaskRecord) => Task,
): { tasks: Task[]; nextPageToken: string } {
  for (const state of request.states) {
    if (!STATES.has(state)) throw invalid(`states: ${state} is not a task state to filter on`)
  }
  if (request.pageSize < 0) throw invalid('page_size: must not be negative')
  const pageSize = Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  const wanted = new Set(request.states)
  const filter = [...wanted].sort((a, b) => a - b).join(',')
  const cursor = request.pageToken === '' ? undefined : decode(request.pageToken)
  if (cursor && cursor.filter !== filter) throw invalid('page_token: made for other `states`')

  const page: TaskRecord[] = []
  let more = false
  for (const record of newestFirst) {
    if (cursor && record.seq >= cursor.before) continue
    if (wanted.size > 0 && !wanted.has(record.task.state)) continue
    if (page.length === pageSize) {
      more = true
      break
    }
    page.push(record)
  }
  const last = page.at(-1)
  return {
    tasks: page.map(snapshot),
    nextPageToken: more && last ? encode({ filter, before: last.seq }) : '',
  }
}

function encode(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.filter, cursor.before])).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function decode(token: string): Cursor {
  try {
    const value: unknown = JSON.parse(atob(token.replaceAll('-', '+').replaceAll('_', '/')))
    if (Array.isArray(value) && typeof value[0] === 'string' && Number.isSafeInteger(value[1])) {
      return { filter: value[0], before: value[1] as number }
    }
  } catch {
    // fall through
  }
  throw invalid('page_token: not a token of this node')
}
