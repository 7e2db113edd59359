import { describe, expect, it } from 'vitest'
import { metricsRoutes } from '@zustand-sqlite/store-metrics'
import { routeServer } from './routeServer'

// The metrics store's REST routes, mounted from the store package's route set, through the server's Fetch API
// handler: recording events and reading them back as totals, series and top names; requests the validators
// refuse; one user's events out of another's reach.

const DAY = 86_400_000
const { call, openApi } = routeServer({ stores: [], routes: metricsRoutes() })

/** Records an event as `token`'s user, expecting 201; the event as stored. */
async function record(event: unknown, token: 'alice' | 'bob' = 'alice'): Promise<any> {
  const response = await call('POST', '/api/metrics/events', { body: event, token })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body
}

const search = (params: Record<string, string | number>): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()

describe('POST /metrics/events', () => {
  it('records an event and answers it with the time it was stored at (201)', async () => {
    const before = Date.now()
    const event = await record({ type: 'ui', name: 'drawer-open', value: 1, metadata: { from: 'menu', n: [1, 2] } })
    expect(event).toEqual({
      type: 'ui',
      name: 'drawer-open',
      value: 1,
      metadata: { from: 'menu', n: [1, 2] },
      timestamp: expect.any(Number),
    })
    expect(event.timestamp).toBeGreaterThanOrEqual(before)
    expect(event.timestamp).toBeLessThanOrEqual(Date.now())
  })

  it('refuses a bad body with the path of the field, and records nothing', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'a', value: 1 }, 'body.type'],
      [{ type: '', name: 'a', value: 1 }, 'body.type'],
      [{ type: 't'.repeat(65), name: 'a', value: 1 }, 'body.type'],
      [{ type: 'ui', value: 1 }, 'body.name'],
      [{ type: 'ui', name: 'n'.repeat(257), value: 1 }, 'body.name'],
      [{ type: 'ui', name: 'a' }, 'body.value'],
      [{ type: 'ui', name: 'a', value: '1' }, 'body.value'],
      [{ type: 'ui', name: 'a', value: null }, 'body.value'],
      [{ type: 'ui', name: 'a', value: 1, metadata: [1] }, 'body.metadata'],
      [{ type: 'ui', name: 'a', value: 1, metadata: 'x' }, 'body.metadata'],
      [{ type: 'ui', name: 'a', value: 1, timestamp: 0 }, 'body.timestamp'],
      [[1], 'body'],
    ]
    for (const [body, path] of cases) {
      const response = await call('POST', '/api/metrics/events', { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body, JSON.stringify(body)).toMatchObject({ code: 'INVALID_VALUE', path })
    }
    expect((await call('GET', '/api/metrics/totals?type=ui')).body.count).toBe(0)
  })

  it('stores a type and name that read as SQL as they are', async () => {
    const type = "x'; DROP TABLE metrics; --"
    const name = "' OR '1'='1"
    await record({ type, name, value: 2 })
    await record({ type: 'other', name: 'n', value: 5 })
    expect((await call('GET', `/api/metrics/totals?${search({ type, name })}`)).body).toMatchObject({
      count: 1,
      sum: 2,
    })
    expect((await call('GET', `/api/metrics/totals?${search({ type: 'other' })}`)).body).toMatchObject({ count: 1 })
  })

  it('answers 401 without a user', async () => {
    const response = await call('POST', '/api/metrics/events', {
      token: null,
      body: { type: 'ui', name: 'a', value: 1 },
    })
    expect(response.status).toBe(401)
  })
})

describe('a round trip: events recorded, then read as totals, series and top names', () => {
  it('counts what was recorded', async () => {
    const latencies = [
      await record({ type: 'latency', name: 'a', value: 10 }),
      await record({ type: 'latency', name: 'a', value: 30 }),
      await record({ type: 'latency', name: 'b', value: 5 }),
      await record({ type: 'latency', name: 'b', value: 7 }),
      await record({ type: 'latency', name: 'b', value: 9 }),
    ]
    await record({ type: 'other', name: 'a', value: 1000 })
    const from = latencies[0].timestamp
    const to = Date.now() + 1

    const totals = await call('GET', `/api/metrics/totals?${search({ type: 'latency', name: 'a', from, to })}`)
    expect(totals).toEqual({ status: 200, body: { count: 2, sum: 40, min: 10, max: 30, avg: 20 } })
    expect((await call('GET', '/api/metrics/totals?type=latency')).body).toMatchObject({ count: 5, sum: 61 })
    expect((await call('GET', `/api/metrics/totals?${search({ type: 'latency', to: from })}`)).body).toMatchObject({
      count: 0,
      min: null,
    })

    const series = await call(
      'GET',
      `/api/metrics/series?${search({ type: 'latency', from: from - DAY, to, bucket: 'day' })}`,
    )
    expect(series.status).toBe(200)
    const days = [...new Set(latencies.map((e) => Math.floor(e.timestamp / DAY) * DAY))]
    expect(series.body.map((p: any) => p.start)).toEqual(days)
    expect(series.body.reduce((n: number, p: any) => n + p.count, 0)).toBe(5)
    const ofB = await call(
      'GET',
      `/api/metrics/series?${search({ type: 'latency', name: 'b', from, to, bucket: 'minute' })}`,
    )
    expect(ofB.body.reduce((sum: number, p: any) => sum + p.sum, 0)).toBe(21)

    const byCount = await call('GET', `/api/metrics/top?${search({ type: 'latency', by: 'count', limit: 5 })}`)
    expect(byCount).toEqual({
      status: 200,
      body: [
        { name: 'b', count: 3, sum: 21 },
        { name: 'a', count: 2, sum: 40 },
      ],
    })
    const bySum = await call('GET', `/api/metrics/top?${search({ type: 'latency', by: 'sum', limit: 1, from, to })}`)
    expect(bySum.body).toEqual([{ name: 'a', count: 2, sum: 40 }])
  })

  it("keeps each user's events to that user", async () => {
    await record({ type: 'latency', name: 'a', value: 10 }, 'alice')
    await record({ type: 'latency', name: 'a', value: 99 }, 'bob')
    expect((await call('GET', '/api/metrics/totals?type=latency', { token: 'alice' })).body).toMatchObject({
      count: 1,
      sum: 10,
    })
    expect((await call('GET', '/api/metrics/totals?type=latency', { token: 'bob' })).body).toMatchObject({
      count: 1,
      sum: 99,
    })
    expect((await call('GET', '/api/metrics/top?type=latency&by=sum&limit=5', { token: 'bob' })).body).toEqual([
      { name: 'a', count: 1, sum: 99 },
    ])
  })
})

describe('the read routes', () => {
  it('refuse a bad query with the path of the parameter', async () => {
    const cases: [string, string][] = [
      ['/api/metrics/totals', 'query.type'],
      ['/api/metrics/totals?type=', 'query.type'],
      ['/api/metrics/totals?type=a&from=yesterday', 'query.from'],
      ['/api/metrics/totals?type=a&to=1.5', 'query.to'],
      ['/api/metrics/totals?type=a&unit=ms', 'query.unit'],
      ['/api/metrics/series?type=a&to=10&bucket=day', 'query.from'],
      ['/api/metrics/series?type=a&from=0&bucket=day', 'query.to'],
      ['/api/metrics/series?type=a&from=0&to=10', 'query.bucket'],
      ['/api/metrics/series?type=a&from=0&to=10&bucket=week', 'query.bucket'],
      ['/api/metrics/top?type=a&limit=5', 'query.by'],
      ['/api/metrics/top?type=a&by=avg&limit=5', 'query.by'],
      ['/api/metrics/top?type=a&by=sum', 'query.limit'],
      ['/api/metrics/top?type=a&by=sum&limit=0', 'query.limit'],
      ['/api/metrics/top?type=a&by=sum&limit=1001', 'query.limit'],
    ]
    for (const [path, field] of cases) {
      const response = await call('GET', path)
      expect(response.status, path).toBe(400)
      expect(response.body, path).toMatchObject({ code: 'INVALID_VALUE', path: field })
    }
  })

  it('answer empty results on a new database', async () => {
    expect((await call('GET', '/api/metrics/totals?type=none')).body).toEqual({
      count: 0,
      sum: 0,
      min: null,
      max: null,
      avg: null,
    })
    expect((await call('GET', '/api/metrics/series?type=none&from=0&to=1000&bucket=hour')).body).toEqual([])
    expect((await call('GET', '/api/metrics/top?type=none&by=count&limit=3')).body).toEqual([])
  })
})

describe('the OpenAPI document', () => {
  it('describes every metrics route, valid as OpenAPI 3.1, with numeric query parameters', async () => {
    const doc = await openApi()
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/metrics/events', '/api/metrics/totals', '/api/metrics/series', '/api/metrics/top']),
    )
    const from = doc.paths['/api/metrics/series'].get.parameters.find((p: any) => p.name === 'from')
    expect(from).toMatchObject({ in: 'query', required: true, schema: { type: 'integer' } })
  })
})
