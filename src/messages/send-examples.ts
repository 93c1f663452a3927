/** Named examples of POST /devices/{id}/messages, one per common kind of message (the reference offers them in a list). */
export const SEND_MESSAGE_EXAMPLES = {
  text: { summary: 'Text', value: { type: 'text', to: '5511987654321', text: 'Olá! Seu pedido #1234 foi enviado.' } },
  image: {
    summary: 'Image by URL, with a caption',
    value: { type: 'image', to: '5511987654321', media: { url: 'https://acme.com.br/pedidos/1234.jpg' }, caption: 'Seu pedido' },
  },
  document: {
    summary: 'Document uploaded with POST /media',
    value: { type: 'document', to: '5511987654321', media: { id: '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b' }, filename: 'nota-fiscal-1234.pdf' },
  },
  location: {
    summary: 'Location',
    value: { type: 'location', to: '5511987654321', location: { latitude: -23.5614, longitude: -46.6559, name: 'Acme', address: 'Av. Paulista, 1000' } },
  },
  reaction: { summary: 'Reaction to a stored message', value: { type: 'reaction', message_id: '0193a5b2-8d9e-7f0a-8b1c-2d3e4f5a6b7c', emoji: '👍' } },
};
