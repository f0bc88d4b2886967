import { createHash } from 'node:crypto';
import type { AddressObject, HeaderValue, ParsedMail } from 'mailparser';

/** What the ingest keeps of one received e-mail, whatever its MIME shape. */
export interface InboundMessage {
  /** The sender's Message-ID, or one derived from the bytes when it has none (a re-delivery stays the same). */
  messageId: string;
  /** Message-IDs this mail answers, the most likely first: In-Reply-To, then References from the newest. */
  threadIds: string[];
  from: { address: string; name: string };
  subject: string;
  text: string;
  autoReply: boolean;
  attachments: { filename: string; content: Buffer }[];
}

export const MAX_DESCRIPTION = 20_000;
const MAX_SUBJECT = 300;
const MESSAGE_ID = /<[^<>\s]+>/g;

const ids = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => v.match(MESSAGE_ID) ?? []);

/** A simple header's text (structured ones like Content-Type come as { value, params }). */
function headerText(value: HeaderValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && 'value' in value && typeof value.value === 'string') return value.value;
  return '';
}

function firstAddress(from: AddressObject | undefined): { address: string; name: string } | undefined {
  const entry = from?.value.find((v) => v.address);
  return entry?.address ? { address: entry.address.toLowerCase(), name: entry.name ?? '' } : undefined;
}

/**
 * Automatic mail that must never open or feed a ticket (RFC 3834 and common practice): out-of-office
 * and other auto-replies, bulk and list mail (Precedence), bounces (empty envelope sender).
 */
function isAutomatic(mail: ParsedMail, envelopeFrom: string | false): boolean {
  const h = mail.headers;
  const autoSubmitted = headerText(h.get('auto-submitted')).trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (/^(bulk|auto_reply|list|junk)$/i.test(headerText(h.get('precedence')).trim())) return true;
  if (h.has('x-autoreply') || h.has('x-autorespond')) return true;
  return envelopeFrom === false || envelopeFrom === '';
}

/** Reads a parsed mail into what the ingest needs. `envelopeFrom` is MAIL FROM (false or '' for a bounce). */
export function readMessage(mail: ParsedMail, raw: Buffer, envelopeFrom: string | false): InboundMessage {
  const from = firstAddress(mail.from) ?? { address: (envelopeFrom || '').toLowerCase(), name: '' };
  const inReplyTo = ids(mail.inReplyTo);
  const references = ids(mail.references).reverse();
  const own = ids(mail.messageId)[0];
  return {
    messageId: own ?? `<sha256-${createHash('sha256').update(raw).digest('hex')}@vigie.invalid>`,
    threadIds: [...new Set([...inReplyTo, ...references])],
    from,
    subject: (mail.subject ?? '').replace(/\s+/g, ' ').trim(),
    // mailparser gives the text part, or the HTML converted to text when there is no text part.
    text: (mail.text ?? '').replace(/\r\n/g, '\n').trim(),
    autoReply: isAutomatic(mail, envelopeFrom),
    // Images embedded in the HTML (signatures, logos) are part of the text, not attachments.
    attachments: mail.attachments.filter((a) => !a.related).map((a) => ({ filename: a.filename ?? 'piece-jointe', content: a.content })),
  };
}

/** `[#T-2026-0001]` anywhere in a subject. */
export function ticketNumberIn(subject: string): string | undefined {
  return /\[#\s*([A-Z]{1,5}-\d{4}-\d{1,9})\s*\]/i.exec(subject)?.[1]?.toUpperCase();
}

/** A new ticket's subject: without reply/forward prefixes, one line, at most 300 characters. */
export function ticketSubject(subject: string): string {
  let s = subject;
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(/^\s*(re|tr|fw|fwd|aw|wg|réf|ref)\s*(\[\d+\])?\s*:\s*/i, '');
  }
  s = s.trim();
  return (s || '(sans objet)').slice(0, MAX_SUBJECT);
}

/** At most `max` characters, saying so when it was cut. */
export function capText(text: string, max = MAX_DESCRIPTION): string {
  if (text.length <= max) return text;
  const note = '\n\n[… message tronqué]';
  return text.slice(0, max - note.length) + note;
}

const QUOTE_HEADERS = [
  /^\s*(le|on)\s.{1,200}\s(a écrit|wrote)\s*:\s*$/i,
  /^\s*-{2,}\s*(original message|message d'origine|message d’origine|forwarded message|message transféré)\s*-{2,}\s*$/i,
  /^\s*_{10,}\s*$/,
  /^\s*(de|from)\s*:\s.+$/i,
];

/**
 * A reply without the message it quotes: cut at the usual "Le … a écrit :" / "On … wrote:" line, an
 * "Original message" separator or a quoted header block, and without trailing "> " lines. Kept whole
 * if that would leave nothing.
 */
export function replyText(text: string): string {
  const lines = text.split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (QUOTE_HEADERS.slice(0, 3).some((re) => re.test(line)) || (QUOTE_HEADERS[3]!.test(line) && /^\s*(envoyé|sent|date)\s*:/i.test(lines[i + 1] ?? ''))) {
      end = i;
      break;
    }
  }
  const kept = lines.slice(0, end);
  while (kept.length && (/^\s*>/.test(kept[kept.length - 1]!) || !kept[kept.length - 1]!.trim())) kept.pop();
  const reply = kept.join('\n').trim();
  return reply || text.trim();
}
