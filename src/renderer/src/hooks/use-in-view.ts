/**
 * Whether an element is in (or near) the viewport. The Resources view mounts a chart only while its card is
 * visible, so 50 processes cost what the handful on screen cost. Without IntersectionObserver (tests), it
 * reports visible.
 */
import { useEffect, useRef, useState } from 'react'

export function useInView<T extends Element>(rootMargin = '200px'): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null)
  const [inView, setInView] = useState(typeof IntersectionObserver === 'undefined')
  useEffect(() => {
    const element = ref.current
    if (!element || typeof IntersectionObserver === 'undefined') return
    const observer = new IntersectionObserver((entries) => setInView(entries.some((e) => e.isIntersecting)), { rootMargin })
    observer.observe(element)
    return () => observer.disconnect()
  }, [rootMargin])
  return [ref, inView]
}
