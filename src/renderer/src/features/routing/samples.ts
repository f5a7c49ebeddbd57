/** Sample requests to start from in the test-routing form. The malformed one is malformed on purpose. */
export interface SampleRequest {
  id: string
  label: string
  request: unknown
}

export const sampleRequests: SampleRequest[] = [
  { id: 'discord-command', label: 'Discord command', request: { type: 'discord', content: '!ping', metadata: { channelId: 'c-42', userId: 'u-7' } } },
  { id: 'discord-mention', label: 'Discord mention', request: { type: 'discord', content: '@Demi what is the status?', metadata: { channelId: 'c-42', mentions: ['demi'] } } },
  { id: 'android-call', label: 'Android API call', request: { type: 'android', content: 'GET /api/status', metadata: { deviceId: 'pixel-8' } } },
  { id: 'fan-out', label: 'Fan-out', request: { type: 'broadcast', content: 'Maintenance at 22:00', target: ['discord', 'android'] } },
  { id: 'malformed', label: 'Malformed', request: { content: 42, metadata: { constructor: { prototype: { polluted: true } } } } }
]
