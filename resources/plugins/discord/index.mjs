// Built-in Discord platform plugin. Plain ESM with no imports: it runs inside the sandbox child under Node's
// permission model. It answers deterministically (formats Demi's replies); it never calls the network.

let settings = { botName: 'Demi', prefix: '!' }
let handled = 0

const COMMANDS = {
  ping: () => 'Pong!',
  help: () => `Commands: ${settings.prefix}ping, ${settings.prefix}help, ${settings.prefix}status, /echo <text>, or mention me.`,
  status: (ctx) => `${settings.botName} is online on ${ctx.instanceId}; ${handled} requests handled.`,
  echo: (_ctx, args) => (args.length > 0 ? args : '(nothing to echo)')
}

export function initialize(config) {
  if (config && typeof config === 'object') settings = { ...settings, ...config }
}

function command(name, args, ctx, style) {
  const run = COMMANDS[name.toLowerCase()]
  if (run === undefined) {
    return { kind: 'command', command: name, style, known: false, reply: `Unknown command "${name}". Try ${settings.prefix}help.` }
  }
  return { kind: 'command', command: name.toLowerCase(), style, known: true, reply: run(ctx, args) }
}

export function handleRequest(request, ctx) {
  handled++
  const content = String(request.content).trim()
  const channelId = request.metadata && typeof request.metadata.channelId === 'string' ? request.metadata.channelId : null
  let answer
  const prefixed = content.startsWith(settings.prefix) ? 'prefix' : content.startsWith('/') ? 'slash' : null
  if (prefixed !== null) {
    const [head, ...rest] = content.slice(1).split(/\s+/)
    answer = command(head ?? '', rest.join(' '), ctx, prefixed)
  } else {
    const mention = /<@!?(\d+)>|(?:^|\s)@([A-Za-z0-9_]{2,32})\b/.exec(content)
    if (mention !== null) {
      const who = mention[1] !== undefined ? `<@${mention[1]}>` : `@${mention[2]}`
      answer = { kind: 'mention', mentioned: who, reply: `${settings.botName} here, ${who}: I heard "${content}".` }
    } else {
      answer = { kind: 'message', reply: `${settings.botName}: ${content}` }
    }
  }
  return { platform: 'discord', requestId: request.id, channelId, ...answer }
}

export function healthCheck() {
  return { healthy: true, handled }
}

export function shutdown() {
  handled = 0
}
