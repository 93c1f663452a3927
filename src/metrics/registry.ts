import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Figures read from the database at each scrape. */
export interface StoredFigures {
  deadLetters(): Promise<number>;
}

/** The process's Prometheus metrics; one registry per app, so tests can build several. */
export function createMetrics(stored: StoredFigures) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wuts_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'wuts_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'wuts_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: 'wuts_inbound_dead_letters',
      help: 'Received messages that could not be stored and wait for an operator (GET /dead-letters), all tenants',
      registers: [registry],
      async collect() {
        this.set(await stored.deadLetters());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
