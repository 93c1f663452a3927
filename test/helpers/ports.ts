import net from 'node:net';

/** A port on 127.0.0.1 nobody listens on (taken from the OS, then given back): connections are refused at once. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Servers on 127.0.0.1 that accept connections and never say a word (a database lost behind a firewall); closeAll() ends them. */
export function silentServers(): { start(): Promise<number>; closeAll(): Promise<void> } {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  return {
    async start() {
      const server = net.createServer((s) => sockets.push(s));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return (server.address() as net.AddressInfo).port;
    },
    async closeAll() {
      for (const s of sockets) s.destroy();
      for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    },
  };
}
