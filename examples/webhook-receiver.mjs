// A webhook receiver for trying WUTS: node examples/webhook-receiver.mjs (PORT, default 3000).
// It checks each request's Standard Webhooks signature with the webhook's secret
// (WUTS_WEBHOOK_SECRET, the whsec_... of GET /webhooks/{id}/secret) and prints the event.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WUTS_WEBHOOK_SECRET;
if (!secret?.startsWith('whsec_')) {
  console.error('set WUTS_WEBHOOK_SECRET to the webhook secret (whsec_...): curl $WUTS/webhooks/<id>/secret -H "Authorization: Bearer $TOKEN"');
  process.exit(2);
}
const webhook = new Webhook(secret);
const port = Number(process.env.PORT || 3000);

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        const event = webhook.verify(body, req.headers); // throws unless WUTS signed this very body
        console.log(`verified ${event.type} ${JSON.stringify(event.data)}`);
        res.writeHead(204).end();
      } catch (err) {
        console.log(`REFUSED (bad signature): ${err.message}`);
        res.writeHead(400).end();
      }
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`webhook receiver listening on http://127.0.0.1:${port}/hook`));
