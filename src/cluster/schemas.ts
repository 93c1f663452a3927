import { Type } from 'typebox';
import { Timestamp } from '../http/schemas.js';

export const ClusterNodeSchema = Type.Object(
  {
    id: Type.String({ description: 'the node id (WUTS_NODE_ID, or <hostname>:<port>)' }),
    role: Type.Enum(['devices', 'api'], { description: 'devices: holds WhatsApp connections; api: answers the API only' }),
    version: Type.String({ description: "the node's WUTS version" }),
    started_at: Timestamp,
    heartbeat_at: Timestamp,
    alive: Type.Boolean({ description: 'its heartbeat is younger than the lease time (WUTS_CLUSTER_LEASE_MS)' }),
    draining: Type.Boolean({ description: 'shutting down: handing its devices over' }),
    capacity: Type.Integer({ description: 'devices it holds at most (WUTS_NODE_CAPACITY)' }),
    devices_held: Type.Integer({ description: 'devices whose lease it holds now' }),
  },
  { additionalProperties: false },
);

export const ClusterResponse = Type.Object(
  {
    success: Type.Literal(true),
    node_id: Type.String({ description: 'the node that answered' }),
    nodes: Type.Array(ClusterNodeSchema),
    devices: Type.Object(
      {
        wanted: Type.Integer({ description: 'devices that should be connected (auto-connect on, tenant active)' }),
        held: Type.Integer({ description: 'devices some live node holds the lease of' }),
        unheld: Type.Integer({ description: 'wanted devices no node holds now (waiting for a node with room)' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
