// Leak checks for canary secrets: a secret can leak base64-encoded as well as plain (Sextant writes
// base64 itself, e.g. the lock details, and so do docker logins and env uploads).

/**
 * The base64 text that appears wherever `secret` is encoded, whatever comes before or after it in
 * the encoded data: for each of the three byte alignments, the characters that depend on the
 * secret alone (the groups shared with neighbouring bytes are dropped).
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>();
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const total = shift + bytes.length;
    const from = shift === 0 ? 0 : 4;
    const to = total % 3 === 0 ? encoded.length : Math.floor(total / 3) * 4;
    const form = encoded.slice(from, to);
    if (form.length >= 4) forms.add(form);
  }
  return [...forms];
}

/** Every secret found in `text`, plain or base64-encoded, as `secret (how)`; empty when none leaked. */
export function leakedSecrets(text: string, secrets: Iterable<string>): string[] {
  const found: string[] = [];
  // Base64 may be wrapped (Ruby's encode64 breaks a line every 60 characters).
  const unwrapped = text.replace(/\s+/g, '');
  for (const secret of secrets) {
    if (text.includes(secret)) found.push(`${secret} (plain)`);
    for (const form of base64Forms(secret)) if (unwrapped.includes(form)) found.push(`${secret} (base64 ${form})`);
  }
  return found;
}

/** The `CANARY-…` values written in some files' contents (secrets files of a test project). */
export function canariesIn(contents: Iterable<string>): string[] {
  return [...new Set([...contents].flatMap((text) => text.match(/(?:SEXTANT-)?CANARY-[A-Za-z0-9-]+/g) ?? []))];
}
