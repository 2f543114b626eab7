// Prompt-injection guard: text inside documents is data, never instructions. Sentences that address
// the assistant ("ignore previous instructions", "you are now", "reply only with") are recognised so
// the extractive answer never repeats them and the LLM prompt marks the source as untrusted.
const INSTRUCTION_LIKE = [
  /\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}\b(instructions?|prompts?|rules|guidelines|above|previous|system)\b/i,
  /\bsystem\s+(prompt|message|instructions?)\b/i,
  /\byou\s+(are|will)\s+now\b/i,
  /\b(from now on|new instructions?)\b/i,
  /\b(respond|reply|answer|say)\s+(only\s+)?(with|by saying)\b/i,
  /\b(as an ai|as the assistant|dear (assistant|ai|model|chatbot))\b/i,
  /<\/?(system|instructions?|assistant)>/i,
];

export function looksLikeInstruction(sentence: string): boolean {
  return INSTRUCTION_LIKE.some((re) => re.test(sentence));
}

/** Neutralises our own source delimiters inside document text so a document can't close its block. */
export function fenceSafe(text: string): string {
  return text.replace(/<<<|>>>/g, "‹‹‹").replace(/<\/?source[^>]*>/gi, "[tag removed]");
}
