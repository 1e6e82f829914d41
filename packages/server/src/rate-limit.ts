/** Per-user request budgets: one token bucket per user, refilled continuously. */
export interface RateLimitOptions {
  /** Sustained requests per second per user. */
  readonly requestsPerSecond: number;
  /** Requests a user may make at once after being idle. Default: 2 × requestsPerSecond, at least 10. */
  readonly burst?: number;
}

export interface RateLimiter {
  /** Takes one request from the user's bucket: 0 when allowed, else the ms until one is available. */
  take(userId: string): number;
}

/** Beyond this many users in memory, users whose buckets have refilled completely are forgotten. */
const SWEEP_AT = 10_000;

export function createRateLimiter(options: RateLimitOptions, now: () => number = () => performance.now()): RateLimiter {
  const rate = options.requestsPerSecond;
  if (!(Number.isFinite(rate) && rate > 0)) throw new Error(`rateLimit.requestsPerSecond must be a positive number, got ${String(rate)}.`);
  const burst = options.burst ?? Math.max(10, 2 * rate);
  if (!(Number.isFinite(burst) && burst >= 1)) throw new Error(`rateLimit.burst must be at least 1, got ${String(burst)}.`);
  const perMs = rate / 1000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const sweep = (t: number) => {
    // A full bucket is the same as no bucket: forgetting it keeps memory bounded by the users active lately.
    for (const [user, bucket] of buckets) if (bucket.tokens + (t - bucket.at) * perMs >= burst) buckets.delete(user);
  };

  return {
    take(userId) {
      const t = now();
      let bucket = buckets.get(userId);
      if (!bucket) {
        if (buckets.size >= SWEEP_AT) sweep(t);
        bucket = { tokens: burst, at: t };
        buckets.set(userId, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perMs);
    },
  };
}
