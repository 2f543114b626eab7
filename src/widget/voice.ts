// The widget's voice recorder (issue 14): MediaRecorder on the microphone, where the browser has both
// (the button is hidden elsewhere). The note is uploaded as a conversation file with the widget token
// and sent as a message's attachment; the transcript arrives later in a `transcription` frame.

/** The recorder's words, in the widget's languages (English for the rest, like ./i18n.ts). */
export interface VoiceStrings {
  record: string;
  stop: string;
  voiceMessage: string;
  denied: string;
  failed: string;
  /** Shown under a voice note nobody could transcribe. */
  noTranscript: string;
}

const VOICE: Record<string, VoiceStrings> = {
  en: { record: "Record a voice message", stop: "Stop recording and send", voiceMessage: "Voice message", denied: "The microphone is not available.", failed: "The voice message could not be sent.", noTranscript: "(not transcribed)" },
  es: { record: "Grabar un mensaje de voz", stop: "Detener y enviar", voiceMessage: "Mensaje de voz", denied: "El micrófono no está disponible.", failed: "No se pudo enviar el mensaje de voz.", noTranscript: "(sin transcripción)" },
  fr: { record: "Enregistrer un message vocal", stop: "Arrêter et envoyer", voiceMessage: "Message vocal", denied: "Le micro n'est pas disponible.", failed: "Le message vocal n'a pas pu être envoyé.", noTranscript: "(non transcrit)" },
  de: { record: "Sprachnachricht aufnehmen", stop: "Aufnahme beenden und senden", voiceMessage: "Sprachnachricht", denied: "Das Mikrofon ist nicht verfügbar.", failed: "Die Sprachnachricht konnte nicht gesendet werden.", noTranscript: "(nicht transkribiert)" },
  pt: { record: "Gravar uma mensagem de voz", stop: "Parar e enviar", voiceMessage: "Mensagem de voz", denied: "O microfone não está disponível.", failed: "Não foi possível enviar a mensagem de voz.", noTranscript: "(sem transcrição)" },
};

export function voiceStrings(language: string | undefined | null): VoiceStrings {
  return VOICE[(language ?? "").toLowerCase().split(/[-_]/)[0] ?? ""] ?? VOICE.en!;
}

/** MediaRecorder and a microphone API: without both there is no button. */
export const canRecord = (): boolean => typeof MediaRecorder !== "undefined" && !!navigator.mediaDevices?.getUserMedia;

/** The first container the browser records that the platform keeps (Opus in WebM or Ogg; Safari: MP4). */
function mimeType(): string | undefined {
  return ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"].find((t) => MediaRecorder.isTypeSupported?.(t));
}

export class VoiceRecorder {
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];

  get recording(): boolean {
    return this.recorder?.state === "recording";
  }

  async start(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = mimeType();
    this.chunks = [];
    this.recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    this.recorder.ondataavailable = (e) => {
      if (e.data.size) this.chunks.push(e.data);
    };
    this.recorder.start();
  }

  /** Stops and hands back the note (the microphone is released). */
  stop(): Promise<File> {
    const rec = this.recorder!;
    return new Promise((resolve) => {
      rec.onstop = () => {
        for (const track of rec.stream.getTracks()) track.stop();
        const type = (rec.mimeType || "audio/webm").split(";")[0]!;
        const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
        this.recorder = null;
        resolve(new File(this.chunks, `voice-note.${ext}`, { type }));
      };
      rec.stop();
    });
  }
}
