// Built-in Android platform plugin: answers `METHOD /api/path [json body]` calls with an HTTP-like status and
// body, and turns a broadcast's plain text into a push notification for the app. Plain ESM with no imports
// (runs inside the sandbox child); deterministic, no network.

let settings = { botName: 'Demi', apiVersion: 1 }
let handled = 0
let messages = 0
let notifications = 0

export function initialize(config) {
  if (config && typeof config === 'object') settings = { ...settings, ...config }
}

function respond(status, body) {
  return { platform: 'android', status, body }
}

function parseCall(content) {
  const match = /^(GET|POST|PUT|PATCH|DELETE)\s+(\/\S*)\s*([\s\S]*)$/.exec(content.trim())
  if (match === null) return null
  return { method: match[1], path: match[2], rawBody: match[3] }
}

const ROUTES = {
  'GET /api/status': (ctx) => respond(200, { ok: true, service: settings.botName, apiVersion: settings.apiVersion, instanceId: ctx.instanceId, handled }),
  'GET /api/ping': () => respond(200, { pong: true }),
  'POST /api/message': (ctx, body) => {
    if (body === null || typeof body !== 'object' || typeof body.text !== 'string') {
      return respond(400, { error: 'body must be JSON like {"text": "..."}' })
    }
    messages++
    return respond(201, { accepted: true, messageNo: messages, reply: `${settings.botName}: ${body.text}`, deviceId: body.deviceId ?? null })
  }
}

export function handleRequest(request, ctx) {
  handled++
  const call = parseCall(String(request.content))
  if (call === null && request.type === 'broadcast') {
    // An announcement fanned out to every platform (e.g. "Maintenance at 22:00") is not an API call: the app
    // shows it as a notification.
    notifications++
    return { requestId: request.id, ...respond(202, { notification: `${settings.botName}: ${String(request.content)}`, notificationNo: notifications }) }
  }
  if (call === null) return respond(400, { error: 'expected "METHOD /api/path [json body]"' })
  let body = null
  if (call.rawBody.length > 0) {
    try {
      body = JSON.parse(call.rawBody)
    } catch {
      return respond(400, { error: 'body is not valid JSON' })
    }
  }
  const route = ROUTES[`${call.method} ${call.path}`]
  if (route === undefined) return respond(404, { error: `no route ${call.method} ${call.path}` })
  return { requestId: request.id, ...route(ctx, body) }
}

export function healthCheck() {
  return { healthy: true, handled }
}

export function shutdown() {
  handled = 0
}
