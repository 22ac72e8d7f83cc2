export interface Command {
  readonly name: string
  /** Arguments, e.g. `[DIR]`. */
  readonly usage: string
  readonly summary: string
  /** Resolves to the process exit code. */
  run(args: readonly string[]): Promise<number>
}
