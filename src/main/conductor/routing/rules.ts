/**
 * Routing rules, compiled once: configured rules first, then the built-in Discord/Android rules, then the
 * catch-all default. `match` is a pure function of the request; first match wins.
 */
import type { RouteRequest } from '../../../shared/routing.ts'
import type { RouteRule, RouterConfig } from './router-config.ts'

export interface CompiledRule {
  id: string
  source: 'config' | 'builtin'
  platforms: string[]
  timeoutMs: number | null
  priority: number
  /** Returns why the rule matched (in words), or null. */
  test(request: RouteRequest): string | null
}

/**
 * Built-in rules: explicit types first, then content shapes. Discord: `!command`, `/slash` commands, mentions
 * (`<@123>`, `@name`). Android: `METHOD /api/...` calls.
 */
export const BUILTIN_RULES: RouteRule[] = [
  { id: 'builtin:discord-type', match: { type: 'discord', flags: '' }, platform: 'discord', priority: 0 },
  { id: 'builtin:android-type', match: { type: 'android', flags: '' }, platform: 'android', priority: 0 },
  { id: 'builtin:android-api', match: { content: '^(GET|POST|PUT|PATCH|DELETE)\\s+/api(/|\\s|$)', flags: '' }, platform: 'android', priority: 0 },
  { id: 'builtin:discord-command', match: { content: '^[!/][A-Za-z]', flags: '' }, platform: 'discord', priority: 0 },
  { id: 'builtin:discord-mention', match: { content: '<@!?\\d+>|(^|\\s)@[A-Za-z0-9_]{2,32}\\b', flags: '' }, platform: 'discord', priority: 0 }
]

function compile(rule: RouteRule, source: CompiledRule['source']): CompiledRule {
  const platforms = rule.platforms ?? (rule.platform !== undefined ? [rule.platform] : [])
  const type = rule.match.type?.toLowerCase()
  const content = rule.match.content !== undefined ? new RegExp(rule.match.content, rule.match.flags) : null
  const metadata = rule.match.metadata !== undefined ? Object.entries(rule.match.metadata) : []
  return {
    id: rule.id,
    source,
    platforms,
    timeoutMs: rule.timeoutMs ?? null,
    priority: rule.priority,
    test(request) {
      const why: string[] = []
      if (type !== undefined) {
        if (request.type.toLowerCase() !== type) return null
        why.push(`type is "${type}"`)
      }
      if (content !== null) {
        if (!content.test(request.content)) return null
        why.push(`content matches /${content.source}/${content.flags}`)
      }
      for (const [key, expected] of metadata) {
        if (request.metadata[key] !== expected) return null
        why.push(`metadata.${key} = ${JSON.stringify(expected)}`)
      }
      return why.length > 0 ? why.join(', ') : 'matches every request'
    }
  }
}

/** The full ordered rule list. Config rules were validated at load, so compiling cannot fail here. */
export function compileRules(config: Pick<RouterConfig, 'rules' | 'builtinRules' | 'defaultPlatform'>): CompiledRule[] {
  const rules = config.rules.map((rule) => compile(rule, 'config'))
  if (config.builtinRules) rules.push(...BUILTIN_RULES.map((rule) => compile(rule, 'builtin')))
  if (config.defaultPlatform !== null) {
    rules.push(compile({ id: 'builtin:default', match: { flags: '' }, platform: config.defaultPlatform, priority: 0 }, 'builtin'))
  }
  return rules
}

/** First matching rule with its reason, or null. */
export function matchRule(rules: readonly CompiledRule[], request: RouteRequest): { rule: CompiledRule; reason: string } | null {
  for (const rule of rules) {
    const reason = rule.test(request)
    if (reason !== null) return { rule, reason: `rule ${rule.id}: ${reason}` }
  }
  return null
}
