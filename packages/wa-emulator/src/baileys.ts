// The one place the emulator imports Baileys from: the wire codec, crypto and protobufs
// must come from the same version the clients run (the token dictionary differs between versions).
export {
  proto,
  Curve,
  hkdf,
  sha256,
  hmacSign,
  aesEncryptGCM,
  aesDecryptGCM,
  encodeBinaryNode,
  decodeBinaryNode,
  binaryNodeToString,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  getBinaryNodeChildBuffer,
  jidDecode,
  jidEncode,
  KEY_BUNDLE_TYPE,
  NOISE_MODE,
  NOISE_WA_HEADER,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  BufferJSON,
  initAuthCreds,
  DisconnectReason,
  Browsers,
} from '@whiskeysockets/baileys';
export type { BinaryNode, AuthenticationState, AuthenticationCreds, SignalDataTypeMap, WAMessage, WASocket } from '@whiskeysockets/baileys';
export {
  default as makeWASocket,
  generateMessageIDV2,
  jidNormalizedUser,
  decryptPollVote,
  normalizeMessageContent,
  getContentType,
  downloadMediaMessage,
  getMediaKeys,
} from '@whiskeysockets/baileys';
