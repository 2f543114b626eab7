// Chat management of ai-chat-app-api.md over the platform's conversations.
export { chatRouter } from "./routes";
