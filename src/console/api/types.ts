// The API's resource shapes the console reads (the server's zod schemas are the source of truth).
export interface Member {
  id: string;
  email: string;
  full_name: string;
  role: "owner" | "admin" | "agent";
  status: "invited" | "active" | "disabled";
  last_login_at: string | null;
  created_at: string;
}

export interface Me {
  id: string;
  email: string;
  full_name: string;
  company_name: string | null;
  timezone: string;
  member: Member;
  permissions: string[];
}

export type DocumentStatus = "pending" | "processing" | "completed" | "failed";

export interface KnowledgeBase {
  id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  /** public: visitors' answers may draw on it; internal: only the creator's own API and playground. */
  audience?: "public" | "internal";
  document_count: number;
  total_size_bytes: number;
  created_at: string;
}

export interface KbDocument {
  id: string;
  knowledge_base_id: string;
  title: string;
  filename: string;
  file_type: string;
  file_size_bytes: number;
  processing_status: DocumentStatus;
  error_message: string | null;
  progress: { chunks_done: number; chunks_total: number };
  chunk_count: number;
  created_at: string;
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  pages: number;
}

export interface Source {
  content: string;
  metadata: Record<string, unknown>;
  similarity_score: number;
}

export interface AiAnswer {
  response: string;
  conversation_id: string;
  confidence: number;
  sources: Source[];
  processing_time_ms: number;
}

export interface SearchHit {
  chunk_id: string;
  document_id: string;
  document_title: string;
  heading: string;
  snippet: string;
  score: number;
}

export interface WidgetConfig {
  title: string;
  color: string;
  position: "bottom-right" | "bottom-left";
  welcome_message: string;
  launcher_text: string;
  language: string;
  widget_key: string;
  allowed_origins: string[];
  embed_code: string;
  updated_at: string;
}

export type ConversationStatus = "active" | "waiting_human" | "completed" | "archived";
export type Channel = "widget" | "telegram" | "whatsapp" | "api";

export interface Conversation {
  id: string;
  end_user_id: string | null;
  channel: Channel;
  status: ConversationStatus;
  assigned_member_id: string | null;
  last_seq: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A file a message carries (GET `download_url` with the bearer). */
export interface MessageFile {
  id: string;
  name: string;
  content_type: string;
  size: number;
  download_url: string;
}

export interface StoredMessage {
  id: string;
  seq: number;
  sender: "user" | "ai" | "agent" | "system";
  sender_name: string | null;
  text: string;
  sources: Source[] | null;
  attachments?: MessageFile[];
  created_at: string;
}

export interface ChannelRow {
  id: string;
  channel_type: "web" | "telegram" | "whatsapp";
  channel_name: string;
  status: string;
  status_detail: string | null;
  configuration: Record<string, unknown>;
  user_count: number;
  last_activity_at: string | null;
  created_at: string;
}

export interface Program {
  id: string;
  name: string;
  description: string | null;
  status: "draft" | "published" | "archived";
  version: number;
  published_version: number | null;
  enrollment_count: number;
  completion_rate: number;
  updated_at: string;
  flow_definition?: import("../programs/flow-mapping").FlowDefinition;
}

export interface EndUser {
  id: string;
  [key: string]: unknown;
}
