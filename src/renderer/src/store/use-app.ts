/** The React side of the store: a context carrying one store, and `useApp(selector)` to read from it. */
import { createContext, useContext } from 'react'
import { useStore } from 'zustand'
import type { AppState, AppStore } from './app-store.ts'

export const StoreContext = createContext<AppStore | null>(null)

export function useAppStore(): AppStore {
  const store = useContext(StoreContext)
  if (!store) throw new Error('useApp outside <StoreContext.Provider>')
  return store
}

/** Reads a slice of the store; the component re-renders only when the selected value changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore(), selector)
}

/** The store's actions. They never change, so reading them does not subscribe the component to anything. */
export function useActions(): AppState {
  return useAppStore().getState()
}
