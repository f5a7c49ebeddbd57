/**
 * Landlock launcher: a short-lived Node process that restricts itself with Landlock and then `execve`s the
 * sandbox child, which inherits the restriction (so does everything it starts). Landlock binds only the
 * calling thread and the threads it creates later, and a Node process already has threads when user code
 * runs, so the child cannot restrict itself: the restriction has to come from a process that execs it.
 * The exec is libc's execve, not `process.execve`, which keeps only fds 0-2: the message channel (fd 3) must
 * pass through, as the stdio pipes do. Node marks every fd it inherited close-on-exec at start-up
 * (`uv_disable_stdio_inheritance`), so the launcher clears that flag on fds 0-3 first.
 *
 *   node --experimental-ffi landlock-launcher probe          → prints {"abi":N} (0 = no Landlock, with why)
 *   node --experimental-ffi landlock-launcher run <rules> <file> <args…>
 *   node --experimental-ffi landlock-launcher wait           → a spare: reads one `LaunchRequest` line on stdin
 *
 * `<rules>` is JSON (`LandlockRules`). Any failure before the exec exits 78 with one line on stderr: the
 * sandbox never starts unrestricted. `wait` lets the host start the launcher ahead of time (its own Node start
 * is most of its cost); EOF instead of a request exits 0. Built beside sandbox-host as `landlock-launcher.mjs`.
 */

/** What the launched process may touch; everything else on the filesystem is denied by the kernel. */
export interface LandlockRules {
  /** Read-only: files and folders (folders recursively). */
  read: string[]
  /** Readable and executable (the runtime; system folders for a plugin granted child processes). */
  execute: string[]
  /** Read, write, create, delete (folders recursively): the scratch dir. */
  write: string[]
  /** Deny every TCP connect and bind (ABI ≥ 4). */
  denyTcp: boolean
  /** Deny signals to, and abstract unix sockets of, processes outside the sandbox (ABI ≥ 6). */
  scope: boolean
}

/** What a waiting launcher is asked to start: exactly this file, argv, environment and working dir. */
export interface LaunchRequest {
  rules: LandlockRules
  file: string
  /** The arguments after the file (argv[0] is the file). */
  args: string[]
  env: Record<string, string>
  cwd: string
}

interface FfiLibrary {
  functions: {
    syscall: (nr: bigint, a: bigint, b: bigint, c: bigint, d: bigint) => bigint
    prctl: (option: number, a: bigint, b: bigint, c: bigint, d: bigint) => number
    execve: (path: bigint, argv: bigint, envp: bigint) => number
    fcntl: (fd: number, command: number, argument: number) => number
    dup2: (from: number, to: number) => number
    __errno_location: () => bigint
  }
}
interface FfiModule {
  dlopen: (path: null, definitions: Record<string, { arguments: string[]; return: string }>) => FfiLibrary
  getRawPointer: (source: Buffer) => bigint
  getInt32: (pointer: bigint) => number
}

// x86_64 and aarch64 share these numbers (the syscalls were added after the tables were unified).
const SYS_CREATE_RULESET = 444n
const SYS_ADD_RULE = 445n
const SYS_RESTRICT_SELF = 446n
const CREATE_RULESET_VERSION = 1n
const RULE_PATH_BENEATH = 1n
const PR_SET_NO_NEW_PRIVS = 38
const O_PATH = 0o10000000
const O_CLOEXEC = 0o2000000
const EXIT_CONFIG = 78
const F_SETFD = 2
const F_GETFL = 3
const F_SETFL = 4
const O_NONBLOCK = 0o4000
/** stdin, stdout, stderr and the message channel. */
const INHERITED_FDS = [0, 1, 2, 3]

const FS = {
  execute: 1n << 0n,
  writeFile: 1n << 1n,
  readFile: 1n << 2n,
  readDir: 1n << 3n,
  removeDir: 1n << 4n,
  removeFile: 1n << 5n,
  makeChar: 1n << 6n,
  makeDir: 1n << 7n,
  makeReg: 1n << 8n,
  makeSock: 1n << 9n,
  makeFifo: 1n << 10n,
  makeBlock: 1n << 11n,
  makeSym: 1n << 12n,
  refer: 1n << 13n, // ABI 2
  truncate: 1n << 14n, // ABI 3
  ioctlDev: 1n << 15n // ABI 5
}
/** Rights that apply to a file itself (a rule on a file may carry only these). */
const FILE_RIGHTS = FS.execute | FS.writeFile | FS.readFile | FS.truncate | FS.ioctlDev

/** Every filesystem right this ABI knows: all of them are handled, so none is left unrestricted. */
export function handledFsRights(abi: number): bigint {
  let rights = (1n << 13n) - 1n
  if (abi >= 2) rights |= FS.refer
  if (abi >= 3) rights |= FS.truncate
  if (abi >= 5) rights |= FS.ioctlDev
  return rights
}

const READ_RIGHTS = FS.readFile | FS.readDir

let loaded: (FfiLibrary & { module: FfiModule }) | undefined

function ffi(): FfiLibrary & { module: FfiModule } {
  if (loaded) return loaded
  const module = process.getBuiltinModule('node:ffi') as FfiModule | undefined
  if (module === undefined) throw new Error('node:ffi is not available (Node ≥ 26.1 with --experimental-ffi)')
  const library = module.dlopen(null, {
    syscall: { arguments: ['i64', 'i64', 'i64', 'i64', 'i64'], return: 'i64' },
    prctl: { arguments: ['i32', 'u64', 'u64', 'u64', 'u64'], return: 'i32' },
    execve: { arguments: ['u64', 'u64', 'u64'], return: 'i32' },
    fcntl: { arguments: ['i32', 'i32', 'i32'], return: 'i32' },
    dup2: { arguments: ['i32', 'i32'], return: 'i32' },
    __errno_location: { arguments: [], return: 'pointer' }
  })
  loaded = { ...library, module }
  return loaded
}

function fail(message: string): never {
  process.stderr.write(`landlock-launcher: ${message}\n`)
  process.exit(EXIT_CONFIG)
}

/** The Landlock ABI version the kernel offers (0: none), or why it cannot be asked. */
export function landlockAbi(): { abi: number; why: string } {
  try {
    const { functions, module } = ffi()
    const abi = Number(functions.syscall(SYS_CREATE_RULESET, 0n, 0n, CREATE_RULESET_VERSION, 0n))
    if (abi > 0) return { abi, why: '' }
    const errno = module.getInt32(functions.__errno_location())
    return { abi: 0, why: errno === 38 ? 'kernel has no Landlock (ENOSYS)' : errno === 95 ? 'Landlock is disabled at boot (EOPNOTSUPP)' : `landlock_create_ruleset failed (errno ${errno})` }
  } catch (cause) {
    return { abi: 0, why: cause instanceof Error ? cause.message : String(cause) }
  }
}

/** Restricts this process (and what it execs) to `rules`. Throws with the failing step. */
export function restrictSelf(rules: LandlockRules): number {
  const fs = process.getBuiltinModule('node:fs')
  const { functions, module } = ffi()
  const errno = (): number => module.getInt32(functions.__errno_location())
  const abi = Number(functions.syscall(SYS_CREATE_RULESET, 0n, 0n, CREATE_RULESET_VERSION, 0n))
  if (abi < 1) throw new Error(`no Landlock on this kernel (errno ${errno()})`)
  const handledFs = handledFsRights(abi)
  // struct landlock_ruleset_attr { u64 handled_access_fs; u64 handled_access_net; u64 scoped; }
  const attr = Buffer.alloc(24)
  attr.writeBigUInt64LE(handledFs, 0)
  attr.writeBigUInt64LE(rules.denyTcp && abi >= 4 ? 3n : 0n, 8) // BIND_TCP | CONNECT_TCP, no rule allows any
  attr.writeBigUInt64LE(rules.scope && abi >= 6 ? 3n : 0n, 16) // ABSTRACT_UNIX_SOCKET | SIGNAL
  const attrSize = abi >= 6 ? 24n : abi >= 4 ? 16n : 8n
  const rulesetFd = functions.syscall(SYS_CREATE_RULESET, module.getRawPointer(attr), attrSize, 0n, 0n)
  if (rulesetFd < 0n) throw new Error(`landlock_create_ruleset failed (errno ${errno()})`)
  // struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; } __attribute__((packed))
  const rule = Buffer.alloc(12)
  const allow = (path: string, rights: bigint): void => {
    let fd: number
    try {
      fd = fs.openSync(path, O_PATH | O_CLOEXEC)
    } catch {
      return // a path that does not exist grants nothing
    }
    try {
      const isDir = fs.fstatSync(fd).isDirectory()
      rule.writeBigUInt64LE((isDir ? rights : rights & FILE_RIGHTS) & handledFs, 0)
      rule.writeInt32LE(fd, 8)
      if (functions.syscall(SYS_ADD_RULE, rulesetFd, RULE_PATH_BENEATH, module.getRawPointer(rule), 0n) < 0n) {
        throw new Error(`landlock_add_rule for ${path} failed (errno ${errno()})`)
      }
    } finally {
      fs.closeSync(fd)
    }
  }
  for (const path of rules.read) allow(path, READ_RIGHTS)
  for (const path of rules.execute) allow(path, READ_RIGHTS | FS.execute)
  for (const path of rules.write) allow(path, handledFs)
  if (functions.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) throw new Error(`prctl(PR_SET_NO_NEW_PRIVS) failed (errno ${errno()})`)
  if (functions.syscall(SYS_RESTRICT_SELF, rulesetFd, 0n, 0n, 0n) !== 0n) throw new Error(`landlock_restrict_self failed (errno ${errno()})`)
  fs.closeSync(Number(rulesetFd))
  return abi
}

/** libc execve: replaces this process, keeping every fd that is not close-on-exec. Returns only on failure. */
function execve(file: string, args: string[], env: Record<string, string | undefined>): string {
  const { functions, module } = ffi()
  // NUL-terminated strings and NULL-terminated pointer arrays, each in its own allocation (a small
  // Buffer.from shares a pool slab), referenced until the call.
  const cString = (text: string): Buffer => {
    const buffer = Buffer.alloc(Buffer.byteLength(text) + 1)
    buffer.write(text)
    return buffer
  }
  const strings: Buffer[] = []
  const pointerArray = (items: string[]): Buffer => {
    const array = Buffer.alloc((items.length + 1) * 8)
    items.forEach((item, index) => {
      const text = cString(item)
      strings.push(text)
      array.writeBigUInt64LE(module.getRawPointer(text), index * 8)
    })
    return array
  }
  const path = cString(file)
  const argv = pointerArray(args)
  const envp = pointerArray(Object.entries(env).map(([key, value]) => `${key}=${value ?? ''}`))
  for (const fd of INHERITED_FDS) functions.fcntl(fd, F_SETFD, 0)
  functions.execve(module.getRawPointer(path), module.getRawPointer(argv), module.getRawPointer(envp))
  void strings
  return `errno ${module.getInt32(functions.__errno_location())}`
}

/**
 * One line from stdin, read synchronously (the launcher has nothing else to do); null at EOF. The pipe is made
 * blocking first, so a spare sleeps in read(2) however long it waits instead of polling.
 */
function readLine(): string | null {
  const fs = process.getBuiltinModule('node:fs')
  const { functions } = ffi()
  const flags = functions.fcntl(0, F_GETFL, 0)
  if (flags >= 0 && (flags & O_NONBLOCK) !== 0) functions.fcntl(0, F_SETFL, flags & ~O_NONBLOCK)
  const chunks: Buffer[] = []
  const buffer = Buffer.alloc(64 * 1024)
  for (;;) {
    let read: number
    try {
      read = fs.readSync(0, buffer)
    } catch (cause) {
      if ((cause as { code?: string }).code !== 'EAGAIN') throw cause
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
      continue
    }
    if (read === 0) return chunks.length === 0 ? null : Buffer.concat(chunks).toString()
    const newline = buffer.subarray(0, read).indexOf(10)
    if (newline !== -1) {
      chunks.push(Buffer.from(buffer.subarray(0, newline)))
      return Buffer.concat(chunks).toString()
    }
    chunks.push(Buffer.from(buffer.subarray(0, read)))
  }
}

/** A spare: waits for its launch request, then starts it like `run`, in the asked dir, stdin on /dev/null. */
function serveOneLaunch(): void {
  const line = readLine()
  if (line === null) process.exit(0)
  let request: LaunchRequest
  try {
    request = JSON.parse(line) as LaunchRequest
  } catch {
    fail('launch request is not JSON')
  }
  const fs = process.getBuiltinModule('node:fs')
  try {
    process.chdir(request.cwd)
    const devNull = fs.openSync('/dev/null', 'r')
    ffi().functions.dup2(devNull, 0)
    fs.closeSync(devNull)
    restrictSelf(request.rules)
  } catch (cause) {
    fail(cause instanceof Error ? cause.message : String(cause))
  }
  fail(`execve ${request.file} failed: ${execve(request.file, [request.file, ...request.args], request.env)}`)
}

function main(argv: string[]): void {
  const [command, rulesJson, file, ...args] = argv
  if (command === 'probe') {
    process.stdout.write(`${JSON.stringify(landlockAbi())}\n`)
    return
  }
  if (command === 'wait') return serveOneLaunch()
  if (command !== 'run' || rulesJson === undefined || file === undefined) fail('usage: probe | wait | run <rules-json> <file> [args…]')
  let rules: LandlockRules
  try {
    rules = JSON.parse(rulesJson) as LandlockRules
  } catch {
    fail('rules are not JSON')
  }
  try {
    restrictSelf(rules)
  } catch (cause) {
    fail(cause instanceof Error ? cause.message : String(cause))
  }
  fail(`execve ${file} failed: ${execve(file, [file, ...args], process.env)}`)
}

if (process.argv[1] !== undefined && /landlock-launcher\.(m?js|ts)$/.test(process.argv[1])) main(process.argv.slice(2))
