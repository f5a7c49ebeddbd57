/** The wire protocol's batching and validation, without processes. */
import { describe, expect, it } from 'vitest'
import { asWireMessage, ChildMessageSchema, createBatcher, HostMessageSchema, unbatch } from '../../../../src/main/conductor/sandbox/protocol.ts'
import { BoundedTail } from '../../../../src/main/conductor/sandbox/bounded-text.ts'
import { encodeFrame, FrameDecoder } from '../../../../src/main/conductor/sandbox/framing.ts'
import { checkHostMessage, splitHostFrame } from '../../../../src/main/conductor/sandbox/child/host-message.ts'

describe('protocol', () => {
  it('coalesces messages posted in one microtask drain into one batch, and sends a lone message as is', async () => {
    const sent: unknown[] = []
    const post = createBatcher<{ t: string; n: number }>((messages) => sent.push(asWireMessage(messages)))
    post({ t: 'cancel', n: 1 })
    post({ t: 'cancel', n: 2 })
    await Promise.resolve()
    post({ t: 'cancel', n: 3 })
    await Promise.resolve()
    expect(sent).toEqual([{ t: 'batch', messages: [{ t: 'cancel', n: 1 }, { t: 'cancel', n: 2 }] }, { t: 'cancel', n: 3 }])
  })

  it('unbatches a batch, passes a plain message through, and rejects a malformed batch', () => {
    expect(unbatch({ t: 'batch', messages: [1, 2] })).toEqual([1, 2])
    expect(unbatch({ t: 'bye' })).toEqual([{ t: 'bye' }])
    expect(Array.isArray(unbatch({ t: 'batch', messages: 'nope' }))).toBe(false)
  })

  it('rejects messages that do not match either direction', () => {
    expect(ChildMessageSchema.safeParse({ not: 'the protocol' }).success).toBe(false)
    expect(ChildMessageSchema.safeParse({ t: 'res', id: 'r1' }).success).toBe(false)
    expect(HostMessageSchema.safeParse({ t: 'req', id: 'r1', kind: 'eval', deadlineMs: 1 }).success).toBe(true)
    expect(HostMessageSchema.safeParse({ t: 'req', id: 'r1', kind: 'rm -rf', deadlineMs: 1 }).success).toBe(false)
  })
})

describe("the child's zod-free check of host messages", () => {
  const grants = { network: false, childProcesses: false, workers: true }
  const init = { t: 'init', instanceId: 'a', modulePath: '/p/plugin.mjs', outputBytes: 65536, probeReadPath: '/etc/passwd', probeWritePath: '/x', hostPid: 1, grants }
  const valid: unknown[] = [
    init,
    { ...init, modulePath: null, pluginConfig: { token: 't', nested: [1, { a: null }] }, probeLinkPath: '/s/l', maxMessageBytes: 1024, probePort: 4242 },
    { ...init, pluginConfig: null, extra: 'dropped', grants: { ...grants, extra: true } },
    { ...init, probePort: undefined },
    { t: 'req', id: 'r1', kind: 'handle', input: { id: 'x', content: 'y' }, deadlineMs: 1.5 },
    { t: 'req', id: 'r2', kind: 'eval', input: 0, code: 'return 1', deadlineMs: 0 },
    { t: 'req', id: 'r3', kind: 'health', deadlineMs: -1, surplus: [1] },
    { t: 'req', id: 'r4', kind: 'handle', input: null, deadlineMs: 2 },
    { t: 'req', id: 'r5', kind: 'handle', input: undefined, code: undefined, deadlineMs: 2 },
    { ...init, pluginConfig: undefined, probeLinkPath: undefined },
    { t: 'cancel', id: 'r1' },
    { t: 'shutdown', id: 'ignored' }
  ]
  const invalid: unknown[] = [
    null,
    'init',
    42,
    [init],
    {},
    { t: 'batch', messages: [] },
    { t: 'bye' },
    { t: 'INIT' },
    { ...init, instanceId: 1 },
    { ...init, modulePath: undefined },
    { ...init, modulePath: 7 },
    { ...init, outputBytes: '65536' },
    { ...init, outputBytes: Number.NaN },
    { ...init, hostPid: Number.POSITIVE_INFINITY },
    { ...init, probeWritePath: null },
    { ...init, probeLinkPath: 3 },
    { ...init, maxMessageBytes: '1' },
    { ...init, probePort: null },
    { ...init, grants: undefined },
    { ...init, grants: [] },
    { ...init, grants: { network: false, childProcesses: false } },
    { ...init, grants: { ...grants, workers: 'yes' } },
    { t: 'req', id: 'r1', kind: 'rm -rf', deadlineMs: 1 },
    { t: 'req', id: 'r1', deadlineMs: 1 },
    { t: 'req', id: 1, kind: 'handle', deadlineMs: 1 },
    { t: 'req', id: 'r1', kind: 'eval', code: 5, deadlineMs: 1 },
    { t: 'req', id: 'r1', kind: 'handle' },
    { t: 'cancel' },
    { t: 'cancel', id: null }
  ]

  it('accepts exactly what HostMessageSchema accepts, with the same output', () => {
    for (const message of [...valid, ...invalid]) {
      const schema = HostMessageSchema.safeParse(message)
      const mine = checkHostMessage(message)
      expect({ message, success: mine.success }).toEqual({ message, success: schema.success })
      if (mine.success && schema.success) expect(mine.data).toStrictEqual(schema.data)
    }
    expect(valid.every((m) => checkHostMessage(m).success)).toBe(true)
    expect(invalid.some((m) => checkHostMessage(m).success)).toBe(false)
  })

  it('says which field is wrong', () => {
    const result = checkHostMessage({ ...init, grants: { ...grants, workers: 'yes' } })
    expect(result).toEqual({ success: false, error: 'init: workers: expected a boolean' })
  })

  it('splits frames as unbatch does', () => {
    for (const frame of [{ t: 'batch', messages: [1, { t: 'shutdown' }] }, { t: 'shutdown' }, { t: 'batch', messages: 'nope' }, { t: 'batch' }, null, [1]]) {
      const theirs = unbatch(frame)
      const mine = splitHostFrame(frame)
      expect(Array.isArray(mine)).toBe(Array.isArray(theirs))
      if (Array.isArray(mine)) expect(mine).toEqual(theirs)
    }
  })
})

describe('BoundedTail', () => {
  it('keeps only the last capBytes and reports what it dropped', () => {
    const tail = new BoundedTail(8)
    tail.push(Buffer.from('0123456789'))
    tail.push(Buffer.from('abc'))
    expect(tail.text()).toBe('56789abc')
    expect(tail.truncated).toBe(true)
    expect(tail.droppedBytes).toBe(5)
  })
})

describe('FrameDecoder', () => {
  const decode = (maxBytes: number, chunks: string[]) => {
    const messages: unknown[] = []
    const violations: string[] = []
    const decoder = new FrameDecoder(maxBytes, (m) => messages.push(m), (why) => violations.push(why))
    for (const chunk of chunks) decoder.push(Buffer.from(chunk))
    return { messages, violations }
  }

  it('reassembles frames split across chunks and splits several frames in one chunk', () => {
    const { messages, violations } = decode(1024, ['{"a":', '1}\n{"b":2}\n{"c"', ':3}\n'])
    expect(messages).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }])
    expect(violations).toEqual([])
  })

  it('reports a line that is not JSON and stops decoding', () => {
    const { messages, violations } = decode(1024, ['not json\n{"a":1}\n'])
    expect(messages).toEqual([])
    expect(violations[0]).toMatch(/not JSON/)
  })

  it('reports a frame over the cap without buffering the rest', () => {
    const { violations } = decode(16, ['x'.repeat(10), 'x'.repeat(10)])
    expect(violations).toEqual(['a message exceeds 16 bytes'])
  })

  it('encodes a frame as one JSON line and refuses what JSON cannot carry', () => {
    expect(encodeFrame({ t: 'bye' })).toBe('{"t":"bye"}\n')
    expect(() => encodeFrame({ big: 1n })).toThrow()
  })
})
