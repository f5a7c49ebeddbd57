/**
 * Router configuration: rules, breaker settings, balancing strategy and request limits. Rules are checked at
 * load: a rule whose `content` regex does not compile is a config error naming the rule.
 */
import { z } from 'zod'
import { PlatformNameSchema, RequestLimitsSchema } from '../../../shared/routing.ts'

/** Conditions of a rule; all given conditions must hold (an empty match matches everything). */
export const RuleMatchSchema = z.strictObject({
  /** Exact request type (case-insensitive). */
  type: z.string().min(1).optional(),
  /** A regular expression tested against the sanitized content. */
  content: z.string().min(1).max(1_000).optional(),
  /** Regex flags for `content` (`i`, `m`, `s`, `u` only: `g`/`y` would make matching stateful). */
  flags: z.string().regex(/^[imsu]*$/, 'only the flags i, m, s and u are allowed').default(''),
  /** Metadata fields that must equal these values (top-level keys only). */
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional()
})
export type RuleMatch = z.infer<typeof RuleMatchSchema>

export const RouteRuleSchema = z
  .strictObject({
    id: z.string().min(1).max(64),
    match: RuleMatchSchema.prefault({}),
    /** One platform, or several for a fan-out. */
    platform: PlatformNameSchema.optional(),
    platforms: z.array(PlatformNameSchema).min(1).optional(),
    /** Overrides the router's default timeout for requests this rule routes. */
    timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    /**
     * Higher goes first when a platform's instances are all at their in-flight limit and requests wait
     * (`admission`); at equal priority live requests go before dead-letter retries.
     */
    priority: z.number().int().default(0)
  })
  .superRefine((rule, ctx) => {
    if (rule.platform === undefined && rule.platforms === undefined) {
      ctx.addIssue({ code: 'custom', path: ['platform'], message: `rule "${rule.id}" names no platform (set platform or platforms)` })
    }
    if (rule.match.content !== undefined) {
      try {
        new RegExp(rule.match.content, rule.match.flags)
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause)
        ctx.addIssue({ code: 'custom', path: ['match', 'content'], message: `rule "${rule.id}" has an invalid regex: ${why}` })
      }
    }
  })
export type RouteRule = z.infer<typeof RouteRuleSchema>

export const BreakerConfigSchema = z.object({
  /** Opens after this many consecutive failures. */
  consecutiveFailures: z.number().int().min(1).default(3),
  /** ...or when failures / calls over `windowMs` exceed this rate (with at least `minimumCalls` calls). */
  failureRateThreshold: z.number().gt(0).max(1).default(0.5),
  windowMs: z.number().int().min(100).default(30_000),
  minimumCalls: z.number().int().min(1).default(20),
  /** Time an open breaker waits before letting one half-open probe through. */
  resetTimeoutMs: z.number().int().min(1).default(10_000),
  /** Also keep a breaker per instance, so one broken instance is skipped while its siblings serve. */
  perInstance: z.boolean().default(true),
  /** How many transitions each breaker keeps for the panel. */
  transitionsKept: z.number().int().min(1).max(1_000).default(20)
})
export type BreakerConfig = z.infer<typeof BreakerConfigSchema>

export const BalancingConfigSchema = z.object({
  strategy: z.enum(['round-robin', 'least-outstanding', 'affinity']).default('round-robin'),
  /** Metadata field whose value pins a request to an instance (affinity strategy), e.g. `channelId`. */
  affinityKey: z.string().min(1).default('affinityKey')
})
export type BalancingConfig = z.infer<typeof BalancingConfigSchema>

/**
 * Backpressure: how much one instance is given at once, and how many requests may wait for a free slot. A
 * request waits at most its own timeout (the wait counts against it); one that finds the line full, or waits
 * it out, fails with OVERLOADED and goes to the dead-letter queue like any other failure.
 */
export const AdmissionConfigSchema = z.object({
  /** Requests in flight on one instance before the next ones wait; null = no limit (nothing ever waits). */
  maxInFlightPerInstance: z.number().int().min(1).nullable().default(64),
  /** Requests that may wait per platform; beyond it a request fails at once. */
  maxQueuedPerPlatform: z.number().int().min(0).default(1_000)
})
export type AdmissionConfig = z.infer<typeof AdmissionConfigSchema>

export const RouterConfigSchema = z.object({
  /** Default deadline of one sandboxed request, when the rule sets none. */
  timeoutMs: z.number().int().min(1).default(5_000),
  /** Ordered rules; first match wins; evaluated before the built-in rules. */
  rules: z
    .array(RouteRuleSchema)
    .default([])
    .superRefine((rules, ctx) => {
      const seen = new Set<string>()
      rules.forEach((rule, index) => {
        if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate rule id "${rule.id}"` })
        seen.add(rule.id)
      })
    }),
  /** Whether the built-in Discord/Android rules follow the configured ones. */
  builtinRules: z.boolean().default(true),
  /** Platform of the final catch-all rule; null = a request no rule matches is ROUTE_NOT_FOUND. */
  defaultPlatform: PlatformNameSchema.nullable().default(null),
  breaker: BreakerConfigSchema.prefault({}),
  balancing: BalancingConfigSchema.prefault({}),
  admission: AdmissionConfigSchema.prefault({}),
  limits: RequestLimitsSchema.prefault({})
})
export type RouterConfig = z.infer<typeof RouterConfigSchema>
export type RouterConfigInput = z.input<typeof RouterConfigSchema>
