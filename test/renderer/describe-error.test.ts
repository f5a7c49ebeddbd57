import { describe, expect, it } from 'vitest'
import { describeError } from '../../src/renderer/src/lib/describe-error.ts'

describe('describeError, BAD_REQUEST', () => {
  it('does not repeat an issue the message already names', () => {
    const issue = { path: 'metadata.constructor', message: 'the key "constructor" is not allowed (prototype pollution)' }
    expect(describeError({ code: 'BAD_REQUEST', message: `Invalid request: ${issue.path}: ${issue.message}`, issues: [issue] })).toBe(
      'Invalid request: metadata.constructor: the key "constructor" is not allowed (prototype pollution)'
    )
  })

  it('lists the issues the message does not name', () => {
    const issues = [
      { path: 'type', message: 'expected a string' },
      { path: 'content', message: 'longer than 4000 characters' }
    ]
    expect(describeError({ code: 'BAD_REQUEST', message: 'Invalid request: type: expected a string', issues })).toBe(
      'Invalid request: type: expected a string: content longer than 4000 characters'
    )
    expect(describeError({ code: 'BAD_REQUEST', message: 'Invalid page request', issues: [{ path: '', message: 'unknown field(s): x' }] })).toBe(
      'Invalid page request: (request) unknown field(s): x'
    )
  })
})
