/**
 * The validator's cheap path for well-formed requests must never accept what the shared schema refuses (and
 * must not refuse what it accepts): both verdicts agree on borderline ids, types, contents and targets.
 */
import { describe, expect, it } from 'vitest'
import { validateRequest } from '../../../../src/main/conductor/routing/validate-request.ts'
import { RequestLimitsSchema, RouteRequestInputSchema } from '../../../../src/shared/routing.ts'

const limits = RequestLimitsSchema.parse({})
const ids: unknown[] = [undefined, '', 'a', 'a'.repeat(128), 'a'.repeat(129), 'ok.id_1:2-3', 'has space', 'ünï', 'x\n', 7, null]
const types: unknown[] = ['discord', 'a', 'a'.repeat(64), 'a'.repeat(65), '1abc', '_x', 'a.b-c_d', 'Ab9', '', 'x y', 'x\n', 3, undefined]
const contents: unknown[] = ['', 'hello', 5, undefined, null]
const targets: unknown[] = [undefined, 'discord', 'Discord', 'd'.repeat(64), 'd'.repeat(65), '9x', 'a-b_c', [], ['discord'], ['discord', 'android'], ['discord', 'Bad'], [1], 'x\n', {}]

function verdicts(request: Record<string, unknown>): { schema: boolean; router: boolean } {
  return { schema: RouteRequestInputSchema.safeParse(request).success, router: validateRequest(request, limits).ok }
}

describe('validateRequest shape checks', () => {
  it('agrees with RouteRequestInputSchema on every combination of borderline scalar fields', () => {
    let accepted = 0
    let compared = 0
    for (const id of ids) for (const type of types) for (const content of contents) for (const target of targets) {
      const request: Record<string, unknown> = { type, content }
      if (id !== undefined) request.id = id
      if (target !== undefined) request.target = target
      const { schema, router } = verdicts(request)
      if (router !== schema) expect({ request, router }).toEqual({ request, router: schema })
      compared++
      if (router) accepted++
    }
    expect(compared).toBe(ids.length * types.length * contents.length * targets.length)
    expect(accepted).toBeGreaterThan(100)
    expect(accepted).toBeLessThan(compared / 2)
  })
})
