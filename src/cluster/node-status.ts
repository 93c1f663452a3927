/** What this node reports about itself in /metrics: its id, the devices it holds, and its cluster counters. */
export interface NodeStatus {
  readonly nodeId: string;
  devicesHeld(): number;
  devicesConnected(): number;
  counters(): {
    leasesAcquired: number;
    leasesLost: number;
    leasesReleased: number;
    commandsSent: number;
    commandsServed: number;
    commandsTimedOut: number;
  };
}
