/**
 * Coalescing of protocol messages, shared by both ends. Imports nothing, so the sandbox child can use it
 * without loading zod (see child/host-message.ts).
 */

/** Collects the messages produced in one microtask drain and hands them to `flush` together. */
export function createBatcher<M>(flush: (messages: M[]) => void): (message: M) => void {
  let queue: M[] = []
  const drain = (): void => {
    const messages = queue
    queue = []
    flush(messages)
  }
  return (message) => {
    queue.push(message)
    if (queue.length === 1) queueMicrotask(drain)
  }
}
