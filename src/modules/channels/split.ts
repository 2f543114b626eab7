// Splits a reply that is too long for one platform message (Telegram and WhatsApp: 4096
// characters) on the most natural boundary: a paragraph, else a sentence, else a line, else a word.
export const MAX_MESSAGE_CHARS = 4096;

function cutPoint(window: string, limit: number): number {
  // Don't cut absurdly early: a boundary in the first third would leave lots of tiny parts.
  const floor = Math.floor(limit / 3);
  const para = window.lastIndexOf("\n\n");
  if (para >= floor) return para + 2;
  let sentence = -1;
  for (const m of window.matchAll(/[.!?…。！？]["')\]]*\s+/g)) sentence = m.index! + m[0].length;
  if (sentence >= floor) return sentence;
  const line = window.lastIndexOf("\n");
  if (line >= floor) return line + 1;
  const space = window.search(/\s\S*$/);
  if (space >= floor) return space + 1;
  // No boundary at all: a hard cut, but never inside a surrogate pair.
  const code = window.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

export function splitMessage(text: string, limit = MAX_MESSAGE_CHARS): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const cut = cutPoint(rest.slice(0, limit), limit);
    const part = rest.slice(0, cut).trim();
    if (part) parts.push(part);
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}
