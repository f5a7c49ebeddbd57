/**
 * Keeps keyboard focus usable inside a container: when an action disables the control that had focus (for
 * example "Discard selected…" once the selection is gone), focus moves to the first enabled control of the
 * container instead of falling back to the page body. Runs after every render of the owning component, in a
 * layout effect, so it acts before the browser drops focus from the disabled control.
 */
import { useLayoutEffect, useRef } from 'react'

const usable = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex="0"]'

export function useUsableFocus<T extends HTMLElement>(): React.RefObject<T | null> {
  const ref = useRef<T>(null)
  useLayoutEffect(() => {
    const container = ref.current
    const active = document.activeElement
    if (!container || !(active instanceof HTMLElement) || !container.contains(active) || !active.matches(':disabled')) return
    container.querySelector<HTMLElement>(usable)?.focus()
  })
  return ref
}
