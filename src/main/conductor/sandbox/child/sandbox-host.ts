// Entry of a sandbox child process (filled in by the sandbox work).
export {}
