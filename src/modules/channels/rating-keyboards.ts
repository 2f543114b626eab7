// The rating prompt's buttons as each platform takes them (the callback data / row ids are what
// ratingScore() in platform.ts reads back).

const LABELS: Record<number, string> = { 5: "Excellent", 4: "Good", 3: "Okay", 2: "Poor", 1: "Very poor" };

/** Telegram: one row of five buttons 1…5. */
export const telegramRatingKeyboard = () => ({
  reply_markup: { inline_keyboard: [[1, 2, 3, 4, 5].map((n) => ({ text: String(n), callback_data: `rate:${n}` }))] },
});

/** WhatsApp list rows, best first (a row title is at most 24 characters). */
export const whatsappRatingRows = () => [5, 4, 3, 2, 1].map((n) => ({ id: `rate:${n}`, title: `${n} – ${LABELS[n]}` }));

/** A stored message carrying this mark is sent with the buttons (outbound.ts). */
export const isRatingPrompt = (metadata: Record<string, unknown> | null | undefined) => metadata?.rating_prompt === true;
