// The widget's own words in the widget config's language (en, es, fr, de, pt; anything else falls
// back to English by its primary subtag, so "pt-BR" is Portuguese and "it" is English). The
// creator's own texts (title, launcher, welcome) are shown as written, except the English defaults,
// which are translated too.

export interface Strings {
  title: string;
  launcher: string;
  welcome: string;
  human: string;
  humanLabel: string;
  close: string;
  typing: string;
  input: string;
  placeholder: string;
  send: string;
  unavailable: string;
  reconnecting: string;
  waiting: string;
  /** "{name}" is replaced by the agent's name. */
  here: string;
  resolved: string;
  sources: string;
  /** "{n}" is replaced by the source's number. */
  source: string;
  /** The platform's notices in the chat (system messages with a code). */
  handover_initiated: string;
  /** "{name}" is replaced by the agent's name. */
  agent_joined: string;
  released: string;
  resolved_notice: string;
}

const en: Strings = {
  title: "Chat with us",
  launcher: "Chat",
  welcome: "Hi! Ask me anything.",
  human: "Human",
  humanLabel: "Talk to a human",
  close: "Close chat",
  typing: "Typing",
  input: "Your message",
  placeholder: "Type your message…",
  send: "Send",
  unavailable: "The chat is unavailable right now. Retrying…",
  reconnecting: "Reconnecting…",
  waiting: "Waiting for a person to join…",
  here: "{name} is here",
  resolved: "This conversation is resolved. Write to reopen it.",
  sources: "Sources",
  source: "Source {n}",
  handover_initiated: "Connecting you with a human agent…",
  agent_joined: "{name} joined the conversation",
  released: "You are back with the assistant.",
  resolved_notice: "This conversation has been marked as resolved.",
};

export const TRANSLATIONS: Record<string, Strings> = {
  en,
  es: {
    title: "Chatea con nosotros",
    launcher: "Chat",
    welcome: "¡Hola! Pregúntame lo que quieras.",
    human: "Persona",
    humanLabel: "Hablar con una persona",
    close: "Cerrar el chat",
    typing: "Escribiendo",
    input: "Tu mensaje",
    placeholder: "Escribe tu mensaje…",
    send: "Enviar",
    unavailable: "El chat no está disponible ahora. Reintentando…",
    reconnecting: "Reconectando…",
    waiting: "Esperando a que se una una persona…",
    here: "{name} está aquí",
    resolved: "Esta conversación está resuelta. Escribe para reabrirla.",
    sources: "Fuentes",
    source: "Fuente {n}",
    handover_initiated: "Te estamos poniendo en contacto con una persona…",
    agent_joined: "{name} se ha unido a la conversación",
    released: "Vuelves a hablar con el asistente.",
    resolved_notice: "Esta conversación se ha marcado como resuelta.",
  },
  fr: {
    title: "Discutez avec nous",
    launcher: "Chat",
    welcome: "Bonjour ! Posez-moi vos questions.",
    human: "Humain",
    humanLabel: "Parler à une personne",
    close: "Fermer le chat",
    typing: "En train d’écrire",
    input: "Votre message",
    placeholder: "Écrivez votre message…",
    send: "Envoyer",
    unavailable: "Le chat est indisponible pour le moment. Nouvelle tentative…",
    reconnecting: "Reconnexion…",
    waiting: "En attente d’une personne…",
    here: "{name} est là",
    resolved: "Cette conversation est résolue. Écrivez pour la rouvrir.",
    sources: "Sources",
    source: "Source {n}",
    handover_initiated: "Nous vous mettons en relation avec une personne…",
    agent_joined: "{name} a rejoint la conversation",
    released: "Vous êtes de retour avec l’assistant.",
    resolved_notice: "Cette conversation a été marquée comme résolue.",
  },
  de: {
    title: "Schreiben Sie uns",
    launcher: "Chat",
    welcome: "Hallo! Fragen Sie mich alles.",
    human: "Mensch",
    humanLabel: "Mit einem Menschen sprechen",
    close: "Chat schließen",
    typing: "Schreibt",
    input: "Ihre Nachricht",
    placeholder: "Nachricht eingeben…",
    send: "Senden",
    unavailable: "Der Chat ist gerade nicht erreichbar. Neuer Versuch…",
    reconnecting: "Verbindung wird wiederhergestellt…",
    waiting: "Warten auf einen Mitarbeiter…",
    here: "{name} ist da",
    resolved: "Dieses Gespräch ist erledigt. Schreiben Sie, um es wieder zu öffnen.",
    sources: "Quellen",
    source: "Quelle {n}",
    handover_initiated: "Wir verbinden Sie mit einem Mitarbeiter…",
    agent_joined: "{name} ist dem Gespräch beigetreten",
    released: "Sie sind wieder beim Assistenten.",
    resolved_notice: "Dieses Gespräch wurde als erledigt markiert.",
  },
  pt: {
    title: "Fale connosco",
    launcher: "Chat",
    welcome: "Olá! Pergunte-me o que quiser.",
    human: "Pessoa",
    humanLabel: "Falar com uma pessoa",
    close: "Fechar o chat",
    typing: "A escrever",
    input: "A sua mensagem",
    placeholder: "Escreva a sua mensagem…",
    send: "Enviar",
    unavailable: "O chat não está disponível agora. A tentar de novo…",
    reconnecting: "A restabelecer a ligação…",
    waiting: "À espera de que uma pessoa se junte…",
    here: "{name} está aqui",
    resolved: "Esta conversa está resolvida. Escreva para a reabrir.",
    sources: "Fontes",
    source: "Fonte {n}",
    handover_initiated: "Vamos ligá-lo a uma pessoa…",
    agent_joined: "{name} juntou-se à conversa",
    released: "Está de volta ao assistente.",
    resolved_notice: "Esta conversa foi marcada como resolvida.",
  },
};

/** The strings for a language tag ("de", "pt-BR", "ES"); English when there are none. */
export function stringsFor(language: string | undefined | null): Strings {
  const primary = (language ?? "").toLowerCase().split(/[-_]/)[0] ?? "";
  return TRANSLATIONS[primary] ?? en;
}

/** A creator's text, unless it is the English default, which is shown in the widget's language. */
export function creatorText(value: string, englishDefault: string, translated: string): string {
  return value === englishDefault ? translated : value;
}

export const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ""));
