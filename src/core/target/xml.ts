/**
 * Lenient readers for Target's small XML answers. Adobe's own examples are not always well-formed XML
 * (a raw `&` inside `<batchStatus>`, or the tags stripped by a doc renderer), so these read tags by
 * pattern instead of using a strict parser, and accept `&amp;` and a raw `&` alike.
 */

/** What the single profile update answered. */
export interface UpdateAnswer {
  success: boolean;
  message: string;
  /** Present when the server named the visitor (the documented answer leaves it empty). */
  pcId?: string;
}

/** What a bulk submit answered. `batchStatus` is empty when `success` is false. */
export interface SubmitAnswer {
  success: boolean;
  batchStatus: string;
  message: string;
}

/** The three documented states of a batch. */
type BatchState = 'complete' | 'incomplete' | 'stuck';

export interface BatchStatus {
  batchId: string;
  /** `complete`, `incomplete` or `stuck`; empty when the answer had none (the legacy per-profile form). */
  status: BatchState | '';
  batchSize?: number;
  consumedCount?: number;
  successfulUpdates?: number;
  profilesNotFound?: number;
  failedUpdates?: number;
  /** v2 per-profile entries; since May 2020 Target lists only failed rows. */
  profiles: { id: string; status: string }[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes XML entities; anything that is not a complete entity (such as `&mboxPC=`) stays as it is. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (whole, name: string) => {
    if (name[0] !== '#') return ENTITIES[name];
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Escapes text for an XML element body (used by the emulator). */
export function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The trimmed, decoded text of the first `<name>` element, or undefined when there is none. */
export function readTag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}\\s*>|<${name}\\s*/>`).exec(xml);
  if (!match) return undefined;
  return decodeXmlText((match[1] ?? '').trim());
}

/**
 * True when the text holds a DTD: `<!DOCTYPE` or `<!ENTITY` (any case). Target's answers never do; the
 * client refuses such answers instead of reading them, and nothing here ever expands an entity.
 */
export function hasXmlDeclarations(body: string): boolean {
  return /<!\s*(?:doctype|entity)/i.test(body);
}

function looksLikeXml(body: string): boolean {
  return /<response[\s>]/.test(body);
}

/**
 * Reads the single-update answer in the three forms seen: the legacy XML, the tag-stripped text the
 * current docs print (`trueRequest successfully submitted`), and `{}` (what Segment's mocks return).
 * Returns undefined for anything else.
 */
export function parseUpdateAnswer(body: string): UpdateAnswer | undefined {
  const text = body.trim();
  if (looksLikeXml(text)) {
    const success = readTag(text, 'success');
    if (success === undefined) return undefined;
    const pcId = readTag(text, 'pcId');
    return { success: success === 'true', message: readTag(text, 'message') ?? '', ...(pcId ? { pcId } : {}) };
  }
  if (text === '' || /^\{\s*\}$/.test(text)) return { success: true, message: '' };
  const stripped = /^(true|false)\s*([\s\S]*)$/.exec(text);
  if (stripped) return { success: stripped[1] === 'true', message: stripped[2].trim() };
  return undefined;
}

/**
 * Reads the bulk submit answer: XML (raw `&` or `&amp;` in the URL), or the tag-stripped
 * `true http://... Batch submitted for processing`. Returns undefined for anything else.
 */
export function parseSubmitAnswer(body: string): SubmitAnswer | undefined {
  const text = body.trim();
  if (looksLikeXml(text)) {
    const success = readTag(text, 'success');
    if (success === undefined) return undefined;
    return {
      success: success === 'true',
      batchStatus: readTag(text, 'batchStatus') ?? '',
      message: readTag(text, 'message') ?? '',
    };
  }
  const stripped = /^(true|false)\s+(https?:\/\/\S+)?\s*([\s\S]*)$/.exec(text);
  if (!stripped) return undefined;
  return { success: stripped[1] === 'true', batchStatus: stripped[2] ?? '', message: stripped[3].trim() };
}

function readCount(xml: string, name: string): number | undefined {
  const text = readTag(xml, name);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Reads a batch status answer, with or without `showDetails=true`, v1 or v2. */
export function parseBatchStatus(body: string): BatchStatus | undefined {
  if (!looksLikeXml(body)) return undefined;
  const profiles: { id: string; status: string }[] = [];
  // Per-profile entries carry their own <status>, so cut them out before reading the batch's.
  const outer = body.replace(/<profile\s*>([\s\S]*?)<\/profile\s*>/g, (_whole, inner: string) => {
    profiles.push({ id: readTag(inner, 'id') ?? '', status: readTag(inner, 'status') ?? '' });
    return '';
  });
  const batchId = readTag(outer, 'batchId');
  if (batchId === undefined) return undefined;
  const state = readTag(outer, 'status');
  const status: BatchStatus['status'] =
    state === 'complete' || state === 'incomplete' || state === 'stuck' ? state : '';
  const result: BatchStatus = { batchId, status, profiles };
  for (const name of [
    'batchSize',
    'consumedCount',
    'successfulUpdates',
    'profilesNotFound',
    'failedUpdates',
  ] as const) {
    const count = readCount(outer, name);
    if (count !== undefined) result[name] = count;
  }
  return result;
}
