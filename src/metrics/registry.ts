import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodeStatus } from '../cluster/node-status.js';

/** Figures read at each scrape: from the database, and from this node's workers (undefined while none run). */
export interface StoredFigures {
  deadLetters(): Promise<number>;
  /** Live nodes sharing the database. */
  liveNodes(): Promise<number>;
  node(): NodeStatus | undefined;
}

/** A counter the workers keep, read at each scrape. */
function nodeCounter(registry: Registry, stored: StoredFigures, name: string, help: string, read: (c: ReturnType<NodeStatus['counters']>) => number) {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const node = stored.node();
      if (!node) return;
      this.reset();
      this.inc(read(node.counters()));
    },
  });
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
    clusterNodes: new Gauge({
      name: 'wuts_cluster_nodes_alive',
      help: 'Nodes sharing the database whose heartbeat is current',
      registers: [registry],
      async collect() {
        this.set(await stored.liveNodes());
      },
    }),
    devicesHeld: new Gauge({
      name: 'wuts_node_devices_held',
      help: 'Devices whose lease this node holds',
      registers: [registry],
      collect() {
        this.set(stored.node()?.devicesHeld() ?? 0);
      },
    }),
    devicesConnected: new Gauge({
      name: 'wuts_node_devices_connected',
      help: 'Devices connected to WhatsApp on this node',
      registers: [registry],
      collect() {
        this.set(stored.node()?.devicesConnected() ?? 0);
      },
    }),
    leasesAcquired: nodeCounter(registry, stored, 'wuts_node_leases_acquired_total', 'Device leases this node took', (c) => c.leasesAcquired),
    leasesLost: nodeCounter(
      registry,
      stored,
      'wuts_node_leases_lost_total',
      'Device leases this node lost to another node (not renewed in time)',
      (c) => c.leasesLost,
    ),
    leasesReleased: nodeCounter(
      registry,
      stored,
      'wuts_node_leases_released_total',
      'Device leases this node gave up (disconnect, hand-over, drain)',
      (c) => c.leasesReleased,
    ),
    commandsSent: nodeCounter(
      registry,
      stored,
      'wuts_cluster_commands_sent_total',
      'Device commands this node handed to the node holding the device',
      (c) => c.commandsSent,
    ),
    commandsServed: nodeCounter(
      registry,
      stored,
      'wuts_cluster_commands_served_total',
      'Device commands this node ran for another node',
      (c) => c.commandsServed,
    ),
    commandsTimedOut: nodeCounter(
      registry,
      stored,
      'wuts_cluster_commands_timed_out_total',
      'Device commands the holding node did not answer in time (503 device_node_unavailable)',
      (c) => c.commandsTimedOut,
    ),
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
