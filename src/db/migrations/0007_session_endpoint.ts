import { sql, type Kysely } from 'kysely';

/**
 * A WhatsApp session is only known to the server it was linked on: the emulator answers a
 * session of WhatsApp's with 401 (logged out), and WUTS would delete it. So the session records
 * the endpoint (WebSocket URL) it was linked on, and a node on another endpoint leaves it alone.
 *
 * Sessions linked before this migration count as linked on WhatsApp's own endpoint: a real
 * session is what must be protected (a deployment that always ran on the emulator then sees its
 * devices disconnected with a reason, and `WUTS_EMULATOR_WITH_REAL_SESSIONS` starts its sandbox).
 * A session "linked" means its creds name an account (`"me":{`, as Baileys' creds are stored by
 * JSON.stringify): the creds of a QR code nobody scanned protect nothing and stay unrecorded.
 */
export const PRE_0007_ENDPOINT = 'wss://web.whatsapp.com/ws/chat';

export function sessionEndpointMigration() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('device_auth_creds').addColumn('linked_endpoint', 'text').execute();
      await sql`update device_auth_creds set linked_endpoint = ${PRE_0007_ENDPOINT} where creds_json like ${'%"me":{%'}`.execute(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('device_auth_creds').dropColumn('linked_endpoint').execute();
    },
  };
}
