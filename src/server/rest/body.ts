import { invalidArgument } from '../../core/errors.js';

/** Deepest JSON nesting a request body may have (objects and arrays; the API needs fewer than 10). */
export const MAX_JSON_DEPTH = 64;

/**
 * A request body (raw bytes, already inflated) as a JSON value. Malformed JSON, invalid
 * UTF-8 and nesting deeper than MAX_JSON_DEPTH are INVALID_ARGUMENT on `body`; an empty
 * body is undefined.
 */
export function parseJsonBody(raw: Uint8Array | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  const text = decodeUtf8(raw);
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument('body', `malformed JSON in the request body: ${(err as Error).message}`, 'MALFORMED_JSON');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Uint8Array): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw invalidArgument('body', 'the request body is not valid UTF-8 JSON', 'MALFORMED_JSON');
  }
}

/**
 * Scans JSON text for its bracket depth (outside strings) without recursion, so that
 * nesting is refused before anything walks the parsed value recursively.
 */
export function checkJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        throw invalidArgument('body', `the request body is nested more than ${max} levels deep (arrays and objects); the API needs far fewer`, 'TOO_DEEP');
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}
