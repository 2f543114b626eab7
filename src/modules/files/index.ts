// Files in conversations: uploads, downloads, attachments on messages (issue 14). Channel adapters
// (Telegram, WhatsApp, email) store their media through this service too.
export { filesRouter } from "./routes";
export {
  attachmentsMetadata,
  checkFile,
  deleteConversationFile,
  deleteConversationFiles,
  getConversationFile,
  listConversationFiles,
  resolveAttachments,
  storeConversationFile,
  storeConversationFiles,
  type AttachmentMeta,
  type FileRecord,
  type StoreFileInput,
} from "./service";
