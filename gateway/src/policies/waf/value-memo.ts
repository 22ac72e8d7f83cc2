/**
 * The rules a header or cookie value matched, remembered across requests: clients repeat the
 * same User-Agent, Accept-*, Authorization and cookies on every request, and what a value
 * matches is a function of the value and of the targets it is seen through (the `signature`)
 * alone. Bounded: at most `entries` values of at most `maxValueLength` characters; when full it
 * starts over (values that keep coming back are remembered again at once, one-off values do not
 * accumulate).
 */
export class ValueMemo {
  private readonly bySignature = new Map<number, Map<string, Int32Array>>()
  private size = 0

  constructor(
    private readonly entries: number,
    readonly maxValueLength: number,
  ) {}

  lookup(signature: number, value: string): Int32Array | undefined {
    return this.bySignature.get(signature)?.get(value)
  }

  store(signature: number, value: string, hits: Int32Array): void {
    if (this.size >= this.entries) {
      this.bySignature.clear()
      this.size = 0
    }
    let values = this.bySignature.get(signature)
    if (values === undefined) this.bySignature.set(signature, (values = new Map()))
    values.set(value, hits)
    this.size++
  }
}
