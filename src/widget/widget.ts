// The embeddable chat widget (bundled to public/widget.js): a launcher and a chat panel in a shadow
// root, streaming AI replies, typing dots, sources, human handover, and reconnect + resume that shows
// no gap and no duplicate. Plain WebSocket (no partysocket): resume-by-seq is ours anyway, and the
// bundle stays a few KB.
import type { ChatMessage, ServerFrame, Source } from "../realtime/protocol";
import { creatorText, fill, stringsFor, TRANSLATIONS, type Strings } from "./i18n";
import { STYLES } from "./styles";
import { canRecord, VoiceRecorder, voiceStrings } from "./voice";
import { fileStringsFor, FilePicker, renderAttachments, type FileContext } from "./attachments";

/** REVOKED_CLOSE_CODE of src/realtime/protocol.ts (a value import would bundle zod into the widget). */
const REVOKED_CLOSE_CODE = 4401;

interface Stored {
  visitor_id?: string;
  /** Server-issued: without it the visitor_id names a new visitor (tracker 11). */
  visitor_secret?: string;
  session_id?: string;
  conversation_id?: string;
  creator_id?: string;
  token?: string;
  /** Epoch ms when the token expires. */
  exp?: number;
  ws?: string;
}

interface PublicConfig {
  title: string;
  color: string;
  position: "bottom-right" | "bottom-left";
  welcome_message: string;
  launcher_text: string;
  language: string;
  /** The assistant's persona (GET/PUT /api/v1/creators/assistant). */
  assistant_name?: string | null;
  greeting?: string | null;
}

type Bubble = { el: HTMLElement; seq?: number };

const script = document.currentScript as HTMLScriptElement | null;
const widgetKey = script?.dataset.widgetKey ?? "";
const base = script ? new URL(script.src).origin : location.origin;
const storeKey = `edgecoach:${widgetKey}`;

function load(): Stored {
  try {
    return JSON.parse(localStorage.getItem(storeKey) ?? "{}") as Stored;
  } catch {
    return {};
  }
}
function save(s: Stored): void {
  try {
    localStorage.setItem(storeKey, JSON.stringify(s));
  } catch {
    /* storage disabled: the session lasts as long as the page */
  }
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

const MIC_ICON =
  '<svg aria-hidden="true" focusable="false" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10a7 7 0 0 0 14 0M12 17v5M8 22h8"/></svg>';

const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

class Widget {
  private stored = load();
  private ws: WebSocket | null = null;
  private lastSeq = 0;
  private retries = 0;
  /** A ticket is being fetched: a second connect meanwhile would open a second socket. */
  private connecting = false;
  private openedOnce = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Sent but not acked yet, by client id: resent with the same id after a reconnect. */
  private pending = new Map<string, { text: string; attachments: string[] }>();
  private bySeq = new Map<number, Bubble>();
  private byClientId = new Map<string, Bubble>();
  private streams = new Map<string, HTMLElement>();
  private typingSent = 0;
  /** The page's language until the config arrives with the creator's choice. */
  private t: Strings = stringsFor(document.documentElement.lang || navigator.language);

  private readonly root: ShadowRoot;
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly status: HTMLElement;
  private readonly log: HTMLElement;
  private readonly dots: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly notice: HTMLElement;
  private readonly human: HTMLButtonElement;
  private readonly closer: HTMLButtonElement;
  private readonly send: HTMLButtonElement;
  /** The voice recorder's button (hidden where MediaRecorder or the microphone API is missing). */
  private readonly mic: HTMLButtonElement;
  private readonly recorder = new VoiceRecorder();
  private readonly fileCtx: FileContext;
  private readonly files: FilePicker;

  constructor() {
    const host = h("div", { id: "edgecoach-widget" });
    this.root = host.attachShadow({ mode: "open" });
    const style = h("style", {}, STYLES);
    this.launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "ec-panel" });
    this.panel = h("section", { class: "panel", id: "ec-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "ec-title", hidden: "" });
    const header = h("header");
    const heading = h("div");
    this.title = h("h2", { id: "ec-title" });
    this.status = h("p", { class: "status", "aria-live": "polite" });
    heading.append(this.title, this.status);
    const human = (this.human = h("button", { type: "button", class: "human" }));
    const close = (this.closer = h("button", { type: "button", class: "close" }, "×"));
    header.append(heading, human, close);
    this.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
    this.dots = h("div", { class: "dots", hidden: "" });
    this.dots.append(h("span"), h("span"), h("span"));
    this.notice = h("p", { class: "notice", role: "status", hidden: "" });
    const form = h("form");
    this.input = h("textarea", { rows: "1", maxlength: "8000" });
    this.send = h("button", { type: "submit", class: "send" });
    this.fileCtx = {
      base,
      credentials: () => (this.stored.token && this.stored.conversation_id ? { token: this.stored.token, conversationId: this.stored.conversation_id } : null),
      renew: () => this.session(),
      strings: () => fileStringsFor(this.root.host.getAttribute("lang") || document.documentElement.lang || navigator.language),
      notify: (text) => this.setNotice(text),
    };
    this.files = new FilePicker(this.fileCtx);
    this.mic = h("button", { type: "button", class: "mic", "aria-pressed": "false" });
    // A static icon (no emoji: not every system has a font for it).
    this.mic.innerHTML = MIC_ICON;
    this.mic.hidden = !canRecord();
    form.append(this.files.button, this.files.input, this.input, this.mic, this.send);
    this.label();
    this.panel.append(header, this.log, this.dots, this.notice, this.files.tray, form);
    this.root.append(style, this.launcher, this.panel);
    document.body.append(host);

    this.launcher.addEventListener("click", () => this.toggle(this.panel.hidden));
    close.addEventListener("click", () => this.toggle(false));
    human.addEventListener("click", () => this.sendFrame({ type: "handover_request" }));
    this.mic.addEventListener("click", () => void this.toggleRecording());
    this.panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.toggle(false);
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.fit();
      if (Date.now() - this.typingSent > 2000) {
        this.typingSent = Date.now();
        this.sendFrame({ type: "typing", isTyping: true });
      }
    });
    window.addEventListener("online", () => this.reconnectSoon(0));
    // The panel's width decides where the text wraps (a phone turned, a window resized).
    new ResizeObserver(() => this.fit()).observe(form);
    if (sessionStorage.getItem(`${storeKey}:open`) === "1") this.toggle(true);
  }

  /** The widget's own words in the current language (the creator's texts come with the config). */
  private label(): void {
    const t = this.t;
    this.launcher.textContent ||= t.launcher;
    this.title.textContent ||= t.title;
    this.human.textContent = t.human;
    this.human.title = t.humanLabel;
    this.human.setAttribute("aria-label", t.humanLabel);
    this.closer.setAttribute("aria-label", t.close);
    this.dots.setAttribute("aria-label", t.typing);
    this.input.setAttribute("aria-label", t.input);
    this.input.placeholder = t.placeholder;
    this.fit();
    this.send.textContent = t.send;
    this.files?.label();
    const v = voiceStrings(this.root.host.getAttribute("lang") || document.documentElement.lang || navigator.language);
    this.mic.setAttribute("aria-label", this.recorder.recording ? v.stop : v.record);
    this.mic.title = this.mic.getAttribute("aria-label")!;
  }

  private get voice() {
    return voiceStrings(this.root.host.getAttribute("lang") || navigator.language);
  }

  /** First press records, the second stops, uploads the note as a conversation file and sends it. */
  private async toggleRecording(): Promise<void> {
    const v = this.voice;
    if (!this.recorder.recording) {
      try {
        await this.recorder.start();
      } catch {
        return this.setNotice(v.denied);
      }
      this.mic.classList.add("recording");
      this.mic.setAttribute("aria-pressed", "true");
      this.label();
      return;
    }
    const note = await this.recorder.stop();
    this.mic.classList.remove("recording");
    this.mic.setAttribute("aria-pressed", "false");
    this.label();
    const id = newId();
    const bubble = this.bubble("user", v.voiceMessage);
    bubble.classList.add("pending", "voice");
    this.byClientId.set(id, { el: bubble });
    try {
      const s = this.stored;
      const body = new FormData();
      body.append("files", note);
      const res = await fetch(`${base}/api/v1/conversations/${s.conversation_id}/files`, { method: "POST", headers: { Authorization: `Bearer ${s.token}` }, body });
      if (!res.ok) throw new Error(`upload ${res.status}`);
      const file = ((await res.json()) as { files: { id: string }[] }).files[0]!;
      this.pending.set(id, { text: "", attachments: [file.id] });
      this.sendFrame({ type: "message", id, text: "", attachments: [file.id] });
    } catch {
      bubble.remove();
      this.byClientId.delete(id);
      this.setNotice(v.failed);
    }
  }

  /**
   * The message box is as tall as its text, up to its max-height (then it scrolls). Its placeholder
   * counts too: at 360 px, beside the paperclip, mic and send, "Type your message…" and every
   * translation wrap to a second line that a one-row box cut in half.
   */
  private fit(): void {
    const el = this.input;
    if (this.panel.hidden) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + el.offsetHeight - el.clientHeight}px`;
  }

  private toggle(open: boolean): void {
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    sessionStorage.setItem(`${storeKey}:open`, open ? "1" : "0");
    if (open) {
      this.fit();
      this.input.focus();
      if (!this.openedOnce) {
        this.openedOnce = true;
        void this.start();
      }
    } else {
      this.launcher.focus();
    }
  }

  /** Opens (or resumes) the session, then connects. */
  private async start(): Promise<void> {
    try {
      await this.session();
      this.connect();
    } catch {
      this.setNotice(this.t.unavailable);
      this.reconnectSoon();
    }
  }

  private async session(): Promise<void> {
    const s = this.stored;
    const res = await fetch(`${base}/api/v1/channels/sessions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        widget_key: widgetKey,
        ...(s.visitor_id && { visitor_id: s.visitor_id }),
        ...(s.visitor_secret && { visitor_secret: s.visitor_secret }),
        ...(s.session_id && { session_id: s.session_id }),
        ...(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(navigator.language) && { language: navigator.language }),
      }),
    });
    if (!res.ok) throw new Error(`session ${res.status}`);
    const body = (await res.json()) as {
      session_id: string;
      visitor_id: string;
      visitor_secret: string;
      conversation_id: string;
      creator_id: string;
      token: string;
      expires_in: number;
      websocket_url: string;
      widget: PublicConfig;
    };
    if (s.conversation_id && s.conversation_id !== body.conversation_id) this.clearLog();
    this.stored = {
      visitor_id: body.visitor_id,
      visitor_secret: body.visitor_secret,
      session_id: body.session_id,
      conversation_id: body.conversation_id,
      creator_id: body.creator_id,
      token: body.token,
      exp: Date.now() + body.expires_in * 1000,
      ws: body.websocket_url,
    };
    save(this.stored);
    this.applyConfig(body.widget);
  }

  private applyConfig(cfg: PublicConfig): void {
    this.root.host.setAttribute("style", `--ec-color:${cfg.color}`);
    this.root.host.classList.toggle("left", cfg.position === "bottom-left");
    this.t = stringsFor(cfg.language);
    this.root.host.setAttribute("lang", cfg.language);
    this.label();
    const { en } = TRANSLATIONS;
    this.launcher.textContent = creatorText(cfg.launcher_text, en!.launcher, this.t.launcher);
    this.title.textContent = cfg.assistant_name || creatorText(cfg.title, en!.title, this.t.title);
    if (!this.log.querySelector(".welcome")) {
      const welcome = h("div", { class: "msg ai welcome" });
      welcome.append(h("p", {}, cfg.greeting || creatorText(cfg.welcome_message, en!.welcome, this.t.welcome)));
      this.log.prepend(welcome);
    }
  }

  private connect(): void {
    if (this.connecting) return;
    this.connecting = true;
    void this.open().finally(() => (this.connecting = false));
  }

  private async open(): Promise<void> {
    const s = this.stored;
    if (!s.token || !s.ws) return void this.start();
    // An expiring token is replaced first: a refused upgrade tells a browser nothing about why.
    if (!s.exp || s.exp - Date.now() < 30_000) {
      this.stored.token = undefined;
      return void this.start();
    }
    // The token stays out of URLs (server logs, proxies, history): a one-time ticket opens the socket.
    let ticket: string;
    try {
      const res = await fetch(`${base}/api/v1/channels/sessions/${s.session_id}/ticket`, { method: "POST", headers: { Authorization: `Bearer ${s.token}` } });
      if (res.status === 401 || res.status === 404) {
        this.stored.token = undefined;
        return void this.start();
      }
      if (!res.ok) throw new Error(`ticket ${res.status}`);
      ticket = ((await res.json()) as { ticket: string }).ticket;
    } catch {
      this.setNotice(this.t.reconnecting);
      return this.reconnectSoon();
    }
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    const url = `${base.replace(/^http/, "ws")}${s.ws}?ticket=${encodeURIComponent(ticket)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retries = 0;
      this.setNotice("");
      // A reply that was streaming when the connection dropped is rebuilt from the resume.
      for (const el of this.streams.values()) el.remove();
      this.streams.clear();
      ws.send(JSON.stringify({ type: "resume", afterSeq: this.lastSeq }));
      for (const [id, p] of this.pending) ws.send(JSON.stringify({ type: "message", id, text: p.text, ...(p.attachments.length && { attachments: p.attachments }) }));
    };
    ws.onmessage = (e) => this.onFrame(JSON.parse(String(e.data)) as ServerFrame);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dots.hidden = true;
      // Refused, or revoked (session ended, key rotated): get a fresh token on the next try.
      if (!opened || e.code === REVOKED_CLOSE_CODE) this.stored.token = undefined;
      this.setNotice(this.t.reconnecting);
      this.reconnectSoon();
    };
  }

  private reconnectSoon(delay?: number): void {
    clearTimeout(this.reconnectTimer);
    if (!this.openedOnce) return;
    const wait = delay ?? Math.min(10_000, 500 * 2 ** this.retries++) * (0.75 + Math.random() / 2);
    this.reconnectTimer = setTimeout(() => {
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
      if (this.stored.token) this.connect();
      else void this.start();
    }, wait);
  }

  private sendFrame(frame: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private submit(): void {
    const text = this.input.value.trim();
    // Files still uploading: the send waits for them (their progress is in the tray).
    const attachments = this.files.ready();
    if (attachments === null || (!text && !attachments.length)) return;
    this.input.value = "";
    this.fit();
    this.files.clear();
    const id = newId();
    this.pending.set(id, { text, attachments });
    const bubble = this.bubble("user", text);
    bubble.classList.add("pending");
    this.byClientId.set(id, { el: bubble });
    this.sendFrame({ type: "message", id, text, ...(attachments.length && { attachments }) });
    this.typingSent = 0;
    this.sendFrame({ type: "typing", isTyping: false });
  }

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case "message":
        return this.onMessage(f);
      case "ack": {
        this.pending.delete(f.id);
        const b = this.byClientId.get(f.id);
        if (b) {
          b.el.classList.remove("pending");
          b.el.dataset.seq = String(f.seq);
          b.seq = f.seq;
          this.bySeq.set(f.seq, b);
          this.order(b.el, f.seq);
        }
        return;
      }
      case "ai_delta": {
        let el = this.streams.get(f.messageId);
        if (!el) {
          el = this.bubble("ai", "");
          el.setAttribute("aria-busy", "true");
          this.streams.set(f.messageId, el);
        }
        el.querySelector("p")!.textContent += f.delta;
        this.dots.hidden = true;
        return this.scroll();
      }
      case "typing_start":
        // The visitor's own other tab types as "user": only the assistant or an agent shows dots.
        if (f.sender === "user") return;
        this.dots.hidden = false;
        return this.scroll();
      case "typing_stop":
        if (f.sender !== "user") this.dots.hidden = true;
        return;
      case "handover_initiated":
        this.status.textContent = this.t.waiting;
        return;
      case "agent_joined":
        this.status.textContent = fill(this.t.here, { name: f.agent.name });
        return;
      case "agent_left":
        this.status.textContent = f.reason === "released" ? "" : this.t.waiting;
        return;
      case "conversation_status":
        this.status.textContent = f.status === "completed" ? this.t.resolved : "";
        return;
      case "connection_established":
        this.status.textContent =
          f.status === "completed" ? this.t.resolved : f.agent ? fill(this.t.here, { name: f.agent.name }) : f.handover === "ai" ? "" : this.t.waiting;
        return;
      case "resumed":
        // More than one replay page: ask for the rest.
        if (this.lastSeq < f.seq) this.sendFrame({ type: "resume", afterSeq: this.lastSeq });
        return;
      case "transcription": {
        // The voice note's words (or that nobody could hear it) under its bubble.
        const b = this.bySeq.get(f.seq);
        if (!b) return;
        const p = b.el.querySelector("p")!;
        p.textContent = f.status === "transcribed" && f.text ? f.text : `${this.voice.voiceMessage} ${this.voice.noTranscript}`;
        b.el.classList.add("transcribed");
        return this.scroll();
      }
      case "error":
        if (f.id) {
          this.pending.delete(f.id);
        }
        return this.setNotice(f.message);
    }
  }

  private onMessage(m: ChatMessage): void {
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    const shown = this.bySeq.get(m.seq);
    // Replayed or echoed again: already shown (an own message acked first gets its files from the echo).
    if (shown) return this.attach(shown.el, m);
    let el: HTMLElement | undefined;
    const mine = m.clientId ? this.byClientId.get(m.clientId) : undefined;
    if (mine) {
      el = mine.el;
      el.classList.remove("pending");
      if (m.clientId) this.pending.delete(m.clientId);
    } else if (this.streams.has(m.id)) {
      el = this.streams.get(m.id)!;
      this.streams.delete(m.id);
      el.removeAttribute("aria-busy");
      el.querySelector("p")!.textContent = m.text;
    } else {
      // The platform's notices in the widget's language; the stored text is their English form.
      const notice = m.notice && this.t[m.notice.code === "resolved" ? "resolved_notice" : m.notice.code];
      // A voice note not transcribed (yet): named, so the bubble isn't empty.
      const voice = !m.text && m.attachments?.some((a) => /^(audio\/|video\/webm)/.test(a.contentType)) ? this.voice.voiceMessage : "";
      el = this.bubble(m.sender, notice ? fill(notice, { name: m.notice!.name ?? "" }) : m.text || voice, m.senderName);
    }
    el.dataset.seq = String(m.seq);
    this.bySeq.set(m.seq, { el, seq: m.seq });
    if (m.sender === "ai" || m.sender === "agent") this.dots.hidden = true;
    if (m.sources?.length) el.append(this.sources(m.sources));
    this.attach(el, m);
    this.order(el, m.seq);
    this.scroll();
  }

  private attach(el: HTMLElement, m: ChatMessage): void {
    if (m.attachments?.length && !el.querySelector(".files")) el.append(renderAttachments(this.fileCtx, m.attachments));
  }

  /** Keeps bubbles in seq order, with unacknowledged ones last (a replay can arrive after them). */
  private order(el: HTMLElement, seq: number): void {
    for (const other of Array.from(this.log.children) as HTMLElement[]) {
      if (other === el) continue;
      const s = Number(other.dataset.seq);
      if (s > seq || other.classList.contains("pending")) {
        this.log.insertBefore(el, other);
        return;
      }
    }
    this.log.append(el);
  }

  private sources(list: Source[]): HTMLElement {
    const ul = h("ul", { class: "sources", "aria-label": this.t.sources });
    list.slice(0, 5).forEach((s, i) => {
      const md = s.metadata ?? {};
      const label = String(md.title ?? md.filename ?? md.source ?? fill(this.t.source, { n: i + 1 }));
      const url = typeof md.url === "string" && /^https?:\/\//.test(md.url) ? md.url : "";
      const li = h("li");
      li.append(url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label) : h("span", { title: s.content.slice(0, 200) }, label));
      ul.append(li);
    });
    return ul;
  }

  private bubble(sender: string, text: string, name?: string): HTMLElement {
    const el = h("div", { class: `msg ${sender}` });
    if (name) el.append(h("span", { class: "name" }, name));
    el.append(h("p", {}, text));
    this.log.append(el);
    this.scroll();
    return el;
  }

  private clearLog(): void {
    for (const el of Array.from(this.log.querySelectorAll(".msg:not(.welcome)"))) el.remove();
    this.bySeq.clear();
    this.byClientId.clear();
    this.streams.clear();
    this.lastSeq = 0;
  }

  private setNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = !text;
  }

  private scroll(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

if (widgetKey && !document.getElementById("edgecoach-widget")) {
  if (document.body) new Widget();
  else document.addEventListener("DOMContentLoaded", () => new Widget());
}
