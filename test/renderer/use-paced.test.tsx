import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { usePaced } from '../../src/renderer/src/hooks/use-paced.ts'

let frames: (() => void)[] = []
const runFrame = () => act(() => { const run = frames; frames = []; for (const f of run) f() })

beforeEach(() => {
  frames = []
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => { frames.push(cb); return frames.length })
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function Shown({ id, value }: { id: string; value: number }): React.JSX.Element {
  const [shown] = usePaced(id, [value] as const)
  return <span data-testid={id}>{shown}</span>
}

function Pair({ value }: { value: number }): React.JSX.Element {
  return <><Shown id="a" value={value} /><Shown id="b" value={value} /><Shown id="c" value={value} /></>
}

describe('usePaced', () => {
  it('shows the first values at once', () => {
    render(<Pair value={1} />)
    expect(['a', 'b', 'c'].map((id) => screen.getByTestId(id).textContent)).toEqual(['1', '1', '1'])
  })

  it('applies one waiting change per animation frame, in order', async () => {
    const { rerender } = render(<Pair value={1} />)
    rerender(<Pair value={2} />)
    const shown = () => ['a', 'b', 'c'].map((id) => screen.getByTestId(id).textContent)
    expect(shown()).toEqual(['1', '1', '1'])
    await runFrame()
    expect(shown()).toEqual(['2', '1', '1'])
    await runFrame()
    expect(shown()).toEqual(['2', '2', '1'])
    await runFrame()
    expect(shown()).toEqual(['2', '2', '2'])
    expect(frames).toEqual([])
  })

  it('shows only the newest value when several arrive before the turn', async () => {
    const { rerender } = render(<Shown id="a" value={1} />)
    rerender(<Shown id="a" value={2} />)
    rerender(<Shown id="a" value={3} />)
    await runFrame()
    expect(screen.getByTestId('a').textContent).toBe('3')
    expect(frames).toEqual([])
  })

  it('drops the queued redraw of an unmounted component', async () => {
    const { rerender, unmount } = render(<Shown id="a" value={1} />)
    rerender(<Shown id="a" value={2} />)
    unmount()
    await runFrame()
    expect(frames).toEqual([])
  })
})
