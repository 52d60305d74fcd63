/**
 * The form-urlencoding the server applies to a batch body (docs/target-api.md#upload-body): `+` is a
 * space, `%XX` is a byte, and the bytes are UTF-8. Lenient: never throws on malformed input.
 */

/** True for the ASCII codes of 0-9, A-F and a-f. */
export function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** The value of a hex digit's ASCII code (checked with isHexDigit first). */
export function hexValue(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/** Decodes a name or value as the server would; a `%` without two hex digits stays literal. */
export function decodeFormValue(raw: string): string {
  const hasPlus = raw.indexOf('+') !== -1;
  if (!hasPlus && raw.indexOf('%') === -1) return raw;
  const fast = decodeAsciiEscapes(raw);
  if (fast !== undefined) return fast;
  return decodeFormValueSlow(raw, hasPlus);
}

/**
 * The common case, decoded byte by byte without decodeURIComponent: every `%` is followed by two
 * hex digits that encode an ASCII byte, so each escape is one character and the result cannot
 * differ from decodeURIComponent's. Undefined when an escape needs UTF-8 decoding or is malformed.
 */
function decodeAsciiEscapes(raw: string): string | undefined {
  let out = '';
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 43) {
      out += raw.slice(from, i) + ' ';
      from = i + 1;
    } else if (c === 37) {
      if (i + 2 >= raw.length) return undefined;
      const h = raw.charCodeAt(i + 1);
      const l = raw.charCodeAt(i + 2);
      if (!isHexDigit(h) || !isHexDigit(l)) return undefined;
      const byte = hexValue(h) * 16 + hexValue(l);
      if (byte >= 0x80) return undefined;
      out += raw.slice(from, i) + String.fromCharCode(byte);
      i += 2;
      from = i + 1;
    }
  }
  return out + raw.slice(from);
}

function decodeFormValueSlow(raw: string, hasPlus: boolean): string {
  const spaced = hasPlus ? raw.replace(/\+/g, ' ') : raw;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed escapes or invalid UTF-8: decode byte by byte, replacing bad sequences with U+FFFD.
    const bytes: number[] = [];
    for (let i = 0; i < spaced.length; i++) {
      const c = spaced.charCodeAt(i);
      if (
        c === 37 &&
        i + 2 < spaced.length &&
        isHexDigit(spaced.charCodeAt(i + 1)) &&
        isHexDigit(spaced.charCodeAt(i + 2))
      ) {
        bytes.push(hexValue(spaced.charCodeAt(i + 1)) * 16 + hexValue(spaced.charCodeAt(i + 2)));
        i += 2;
      } else if (c < 0x80) {
        bytes.push(c);
      } else {
        const end = c >= 0xd800 && c <= 0xdbff && i + 1 < spaced.length ? i + 2 : i + 1;
        for (const b of Buffer.from(spaced.slice(i, end), 'utf8')) bytes.push(b);
        i = end - 1;
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

/** Percent-encodes every UTF-8 byte of `text` (lone surrogates become U+FFFD first). */
export function percentEncodeUtf8(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}
