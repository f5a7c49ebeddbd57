/**
 * The pure first half of routing: validate and sanitize, then decide the platform(s) from an explicit
 * `target` or the first matching rule. No instance is chosen and nothing is executed here.
 */
import type { ConductorError } from '../../../shared/errors.ts'
import type { RequestLimits, RouteRequest } from '../../../shared/routing.ts'
import type { PlatformDirectory } from './platform-directory.ts'
import { matchRule, type CompiledRule } from './rules.ts'
import { validateRequest } from './validate-request.ts'

export interface RoutePlan {
  request: RouteRequest
  ruleId: string
  platforms: string[]
  timeoutMs: number
  priority: number
  reason: string
}

export interface PlanContext {
  rules: readonly CompiledRule[]
  limits: RequestLimits
  defaultTimeoutMs: number
  directory: PlatformDirectory
}

/** The rule id used when the request names its platforms itself. */
export const TARGET_RULE_ID = 'request:target'

export type PlanResult =
  | { ok: true; value: RoutePlan }
  | { ok: false; error: ConductorError; ruleId: string | null; requestId: string | null }

export function planRoute(input: unknown, ctx: PlanContext): PlanResult {
  const valid = validateRequest(input, ctx.limits)
  if (!valid.ok) return { ok: false, error: valid.error, ruleId: null, requestId: null }
  const request = valid.value
  let plan: RoutePlan
  if (request.target !== undefined) {
    // A target picks the platforms, not the deadline: the rule that routes this request to those platforms
    // still sets timeout and priority. That is what keeps a dead-letter retry of one part of a fan-out (stored
    // with `target: [platform]`) on its rule's timeout instead of the default.
    const targets = request.target
    const match = matchRule(ctx.rules, request)
    const rule = match !== null && targets.every((platform) => match.rule.platforms.includes(platform)) ? match.rule : null
    plan = {
      request,
      ruleId: TARGET_RULE_ID,
      platforms: targets,
      timeoutMs: rule?.timeoutMs ?? ctx.defaultTimeoutMs,
      priority: rule?.priority ?? 0,
      reason: rule ? `request targets ${targets.join(', ')}; timeout and priority of rule ${rule.id}, which routes it there` : `request targets ${targets.join(', ')}`
    }
  } else {
    const match = matchRule(ctx.rules, request)
    if (match === null) {
      return {
        ok: false,
        ruleId: null,
        requestId: request.id,
        error: { code: 'ROUTE_NOT_FOUND', message: `no rule matches type "${request.type}" and no default platform is configured` }
      }
    }
    plan = {
      request,
      ruleId: match.rule.id,
      platforms: match.rule.platforms,
      timeoutMs: match.rule.timeoutMs ?? ctx.defaultTimeoutMs,
      priority: match.rule.priority,
      reason: match.reason
    }
  }
  for (const platform of plan.platforms) {
    if (ctx.directory.instancesOf(platform) === undefined) {
      return {
        ok: false,
        ruleId: plan.ruleId,
        requestId: request.id,
        error: { code: 'ROUTE_NOT_FOUND', message: `no plugin serves platform "${platform}" (${plan.reason})`, platform }
      }
    }
  }
  return { ok: true, value: plan }
}
