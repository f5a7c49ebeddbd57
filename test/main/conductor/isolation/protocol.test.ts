/** The wire protocol's batching and validation, without processes. */
import { describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import { asWireMessage, ChildMessageSchema, createBatcher, lateSchemas, ResultMessageSchema, unbatch } from '../../../../src/main/conductor/sandbox/protocol.ts'

const { HostMessageSchema, RequestMessageSchema } = lateSchemas()
import { BoundedTail } from '../../../../src/main/conductor/sandbox/bounded-text.ts'
import { encodeFrame, FrameDecoder } from '../../../../src/main/conductor/sandbox/framing.ts'

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

  it('sends a full group at once when a drain produces more than the cap, in order, and the rest at the end of the drain', async () => {
    const sent: number[][] = []
    const post = createBatcher<number>((messages) => sent.push(messages), 3)
    for (let n = 1; n <= 7; n++) post(n)
    // Two full groups left while the drain was still producing: the other side can start on them.
    expect(sent).toEqual([[1, 2, 3], [4, 5, 6]])
    await Promise.resolve()
    expect(sent).toEqual([[1, 2, 3], [4, 5, 6], [7]])
    post(8)
    await Promise.resolve()
    expect(sent.at(-1)).toEqual([8])
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

  // The request and result messages use zod's compiled object parse (see protocol.ts): it must accept, strip
  // and refuse exactly what the plain zod/mini object does, on every parse (the first one compiles).
  describe.each([
    ['req', RequestMessageSchema, z.object(RequestMessageSchema.shape), { t: 'req', id: 'r1', kind: 'handle', input: { a: [1, { b: null }] }, deadlineMs: 5 }],
    ['res', ResultMessageSchema, z.object(ResultMessageSchema.shape), { t: 'res', id: 'r1', output: { ok: true }, stdout: 'o', stderr: '', stdoutTruncated: false, stderrTruncated: true, cpuMs: 0.5 }]
  ] as const)('compiled %s schema', (_name, compiled, plain, valid) => {
    const variants: unknown[] = [
      valid,
      { ...valid, extra: 'stripped' },
      { ...valid, id: 7 },
      { ...valid, t: 'other' },
      { ...valid, kind: 'rm -rf' },
      { ...valid, deadlineMs: '5' },
      { ...valid, cpuMs: Number.NaN },
      { ...valid, error: { message: 'boom', code: 'E' } },
      { ...valid, error: { message: 3 } },
      Object.fromEntries(Object.entries(valid).filter(([key]) => key !== 'id')),
      null,
      [valid],
      'req'
    ]

    it('is the compiled parse', () => {
      expect(compiled._zod.traits.has('$ZodObjectJIT')).toBe(true)
      expect(plain._zod.traits.has('$ZodObjectJIT')).toBe(false)
    })

    it.each(variants.map((input, n) => [n, input]))('parses variant %i exactly as the plain object does, twice', (_n, input) => {
      for (let round = 0; round < 2; round++) {
        const a = z.safeParse(compiled, input)
        const b = z.safeParse(plain, input)
        expect(a.success).toBe(b.success)
        if (a.success && b.success) expect(a.data).toEqual(b.data)
        else expect(a.error?.issues.map((i) => [i.code, i.path])).toEqual(b.error?.issues.map((i) => [i.code, i.path]))
      }
    })
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
