/** WhatsApp Web's own WebSocket endpoint (Baileys' default `waWebSocketUrl`). */
export const WHATSAPP_WS_URL = 'wss://web.whatsapp.com/ws/chat';

/**
 * The endpoint this node's WhatsApp connections use: WUTS_WA_WS_URL, or WhatsApp's own when it
 * is unset. A session records the endpoint it was linked on (only that server knows it), so
 * spellings of one URL are made equal (`WSS://Host:443/x` is `wss://host/x`).
 */
export function whatsappEndpoint(waWsUrl: string | undefined): string {
  return new URL(waWsUrl ?? WHATSAPP_WS_URL).href;
}
