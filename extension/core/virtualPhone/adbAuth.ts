import { createPublicKey, publicDecrypt, constants, randomBytes } from 'node:crypto';

/**
 * ADB's RSA authentication, device side. The host signs a 20-byte token with PKCS#1 v1.5 as if it were a
 * SHA-1 digest; its public key travels in Android's own format (base64 of a little-endian RSAPublicKey).
 */
const SHA1_DIGEST_INFO = Buffer.from('3021300906052b0e03021a05000414', 'hex');

export function newToken(): Buffer {
  return randomBytes(20);
}

/** Parses `base64 user@host` (Android's mincrypt RSAPublicKey) into a Node KeyObject. */
export function parseAdbPublicKey(text: string) {
  const b64 = text.replace(/\0+$/, '').trim().split(/\s+/)[0];
  const raw = Buffer.from(b64, 'base64');
  if (raw.length < 12) throw new Error('public key too short');
  const words = raw.readUInt32LE(0);
  if (words < 16 || words > 256 || raw.length < 8 + words * 8 + 4) throw new Error('public key has a bad size');
  const modulusLE = raw.subarray(8, 8 + words * 4);
  const exponent = raw.readUInt32LE(8 + words * 8);
  const n = Buffer.from(modulusLE).reverse();
  const e = Buffer.alloc(4);
  e.writeUInt32BE(exponent, 0);
  return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.subarray(e.findIndex((b) => b !== 0)).toString('base64url') }, format: 'jwk' });
}

export function verifySignature(publicKeyText: string, token: Buffer, signature: Buffer): boolean {
  try {
    const key = parseAdbPublicKey(publicKeyText);
    const plain = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return plain.equals(Buffer.concat([SHA1_DIGEST_INFO, token]));
  } catch {
    return false;
  }
}
