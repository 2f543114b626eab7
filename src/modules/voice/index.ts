// Voice in conversations (issue 14): speech to text for audio attachments, reached by the conversation object's `transcribe` port.
export { transcribeAttachments } from "./transcribe";
