/**
 * An adaptive concurrency limit in the style of Netflix's "gradient" limiters: it compares the
 * latency requests see now (a fast average) with the latency they see when nothing queues (a slow
 * average, the baseline) and scales the limit by that ratio. When an upstream slows down or starts
 * queueing, requests take longer than the baseline, the gradient drops below 1 and the limit
 * shrinks toward `min`, so the backlog moves into the gateway's bounded admission queue (and its
 * fast 503s) instead of piling up on the upstream. When latency returns to the baseline the limit
 * grows again by a headroom of √limit per adjustment, up to `max`.
 *
 * - gradient = clamp(tolerance × baseline / recent, 0.5, 1): a latency up to `tolerance` (1.5)
 *   times the baseline is not counted as queueing; one adjustment at most halves the limit.
 * - next = limit × gradient + √limit, smoothed: limit += 0.2 × (next − limit), within [min, max].
 * - The limit only grows while at least half of it is in use, so an idle period (few requests,
 *   short latencies) does not inflate it to `max` without evidence.
 * - The baseline follows the recent latency slowly (1/200 per sample), and fast (×0.9) when it is
 *   more than twice the recent one, so a long slow period does not leave a stale, high baseline.
 */
export interface AdaptiveLimitOptions {
  /** The floor (integer >= 1). */
  readonly min: number
  /** The ceiling, and the starting limit (integer >= min). */
  readonly max: number
}

const TOLERANCE = 1.5
const RECENT_WEIGHT = 0.2
const BASELINE_WEIGHT = 1 / 200
const SMOOTHING = 0.2

export class AdaptiveLimit {
  readonly min: number
  readonly max: number
  #limit: number
  #recent = NaN
  #baseline = NaN

  constructor({ min, max }: AdaptiveLimitOptions) {
    if (!Number.isInteger(min) || min < 1) throw new TypeError(`adaptive min must be an integer >= 1, got ${min}`)
    if (!Number.isInteger(max) || max < min) throw new TypeError(`adaptive max must be an integer >= min (${min}), got ${max}`)
    this.min = min
    this.max = max
    this.#limit = max
  }

  /** Requests allowed at once now (an integer within [min, max]). */
  get current(): number {
    return Math.floor(this.#limit)
  }

  /** Feeds the latency of one finished request (ms) and how many were running when it ended. */
  sample(latencyMs: number, inFlight: number): void {
    if (!(latencyMs >= 0) || !Number.isFinite(latencyMs)) return
    const recent = (this.#recent = Number.isNaN(this.#recent) ? latencyMs : this.#recent + RECENT_WEIGHT * (latencyMs - this.#recent))
    let baseline = Number.isNaN(this.#baseline) ? latencyMs : this.#baseline + BASELINE_WEIGHT * (latencyMs - this.#baseline)
    if (baseline > 2 * recent) baseline *= 0.9
    this.#baseline = baseline
    const gradient = Math.min(1, Math.max(0.5, (TOLERANCE * baseline) / Math.max(recent, 1e-3)))
    const limit = this.#limit
    let next = limit * gradient + Math.sqrt(limit)
    if (next > limit && inFlight < limit / 2) next = limit // not using what it has: no evidence for more
    this.#limit = Math.min(this.max, Math.max(this.min, limit + SMOOTHING * (next - limit)))
  }
}
