export { passthroughCors, ALLOWED_HEADERS, EXPOSED_HEADERS } from './cors.ts'
export type { PassthroughCorsOptions } from './cors.ts'
export { createPassthrough } from './passthrough.ts'
export type { PassthroughOptions } from './passthrough.ts'
