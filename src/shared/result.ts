/**
 * Expected failures travel as data, never as exceptions: a `Result` is either a value or a
 * `ConductorError`. Only bugs and cancellation throw.
 */
import type { ConductorError } from './errors.ts'

export type Ok<T> = { readonly ok: true; readonly value: T }
export type Err<E = ConductorError> = { readonly ok: false; readonly error: E }
export type Result<T, E = ConductorError> = Ok<T> | Err<E>

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value }
}

export function err<E = ConductorError>(error: E): Err<E> {
  return { ok: false, error }
}
