// The creator console in a real browser (Debian's Chromium via playwright-core) against one
// `wrangler dev`: a coach goes from an empty account to an assistant answering from their own
// documents on their page, and takes over a conversation from the inbox. Every page is checked with
// axe-core and at 360 px; screenshots go to artifacts/console-*.png.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../support/axe";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";
import { ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

declare const document: any;
declare const navigator: any;

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
const EMAIL = `console-${Date.now()}@example.com`;
const PASSWORD = "Correct-Horse-Battery-9";
let server: DevServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let receiver: WebhookReceiver;
/** The console's live inbox sockets and what they received; the inbox list's REST calls. */
let inboxSockets = 0;
const inboxFrames: { type: string; event?: string; data?: Record<string, unknown> }[] = [];
const listCalls: string[] = [];
/**
 * The agent's conversation sockets go through Playwright's WebSocket routing: the test can drop them
 * (the network goes away), refuse new ones while "offline", and read what the server sent on each.
 */
let conversationOffline = false;
/** The live inbox socket too: a network drop takes both, and it comes back last so only the resume can deliver. */
let inboxOffline = false;
const inboxRoutes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
const conversationRoutes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
const conversationFrames: { socket: number; frame: { type: string; text?: string; seq?: number } }[] = [];

const GUIDE = `# Getting started with strength training

Begin with three full-body sessions a week. Each session starts with a ten minute warm-up of light cardio and mobility drills.
Squats, push-ups and rows are the core movements; add weight only when you can do three sets of ten with good form.

## Rest days

Rest at least one day between sessions so the muscles recover. Sleep seven to nine hours.
`;
const NUTRITION = `# Nutrition basics

Eat about 1.6 grams of protein per kilogram of body weight each day, spread over three or four meals.
Drink water through the day; two litres is a good start for most people.
`;

beforeAll(async () => {
  server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false" } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  await context.routeWebSocket(/\/api\/v1\/conversations\/[^/]+\/connect/, (ws) => {
    if (conversationOffline) return void ws.close({ code: 4000, reason: "offline" });
    const server = ws.connectToServer();
    const socket = conversationRoutes.push({ page: ws, server });
    server.onMessage((m) => {
      conversationFrames.push({ socket, frame: JSON.parse(String(m)) });
      ws.send(m);
    });
  });
  page = await context.newPage();
  // Revoke and delete ask first: the test says yes.
  page.on("dialog", (d) => void d.accept());
  await context.routeWebSocket(/\/api\/v1\/inbox\/connect/, (ws) => {
    if (inboxOffline) return void ws.close({ code: 4000, reason: "offline" });
    inboxSockets++;
    const server = ws.connectToServer();
    inboxRoutes.push({ page: ws, server });
    server.onMessage((m) => {
      inboxFrames.push(JSON.parse(String(m)));
      ws.send(m);
    });
  });
  page.on("request", (r) => {
    if (/\/api\/v1\/conversations\?limit=50/.test(r.url())) listCalls.push(r.url());
  });
  receiver = await startWebhookReceiver();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail") await page?.screenshot({ path: join(ARTIFACTS, `console-failed-${ctx.task.name.slice(0, 30).replace(/\W+/g, "-")}.png`), fullPage: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await receiver?.close();
});

/** axe finds nothing serious at 1440 px and at 360 px, and the page doesn't scroll sideways on a phone. */
async function checkPage(name: string) {
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
  expect(await seriousViolations(page), `${name} at 1440 px`).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    await page.screenshot({ path: join(ARTIFACTS, `console-${name}-360.png`), fullPage: true });
    expect(await seriousViolations(page), `${name} at 360 px`).toEqual([]);
    const overflow = await page.evaluate(() => {
      const wide = [...document.querySelectorAll("main *")].filter((el: any) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1);
      return { by: document.documentElement.scrollWidth - document.documentElement.clientWidth, wide: wide.slice(0, 3).map((el: any) => el.tagName + "." + el.className) };
    });
    expect(overflow.by, `${name} scrolls sideways at 360 px: ${overflow.wide.join(", ")}`).toBeLessThanOrEqual(0);
  } finally {
    await page.setViewportSize({ width: 1440, height: 900 });
  }
}

/** The demo page takes the creator's id: asked for with the bearer API, as a script would. */
async function creatorIdOf(email: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  return ((await res.json()) as { creator: { id: string } }).creator.id;
}

async function tokenOf(email: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function nav(label: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1 }).waitFor();
}

describe.skipIf(!existsSync(CHROMIUM))("creator console in Chromium", () => {
  it("signs up and lands on the onboarding checklist", async () => {
    await page.goto(`${server.url}/app`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app/sign-in");
    await checkPage("sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Your name").fill("Casey Coach");
    await page.getByLabel("Business name (optional)").fill("Casey Strength");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await checkPage("register");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Welcome, Casey" }).waitFor();
    expect(await page.getByText("0 of 5 done").count()).toBe(1);
    // The refresh token is in an HttpOnly cookie only: page scripts can't read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("ec_refresh");
    const cookie = (await context.cookies()).find((c) => c.name === "ec_refresh")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Strict");
    // A reload keeps the session (the cookie refreshes it), on a deep link too.
    await page.goto(`${server.url}/app/knowledge`);
    await page.getByRole("heading", { name: "Knowledge", level: 1 }).waitFor();
    await nav("Home");
    await checkPage("home");
  });

  it("creates a knowledge base, uploads two files that complete, and the playground answers with sources", async () => {
    await nav("Knowledge");
    await page.getByLabel("Name").fill("Coaching handbook");
    expect(await page.getByLabel("Who it answers").inputValue()).toBe("public");
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator(".cards li", { hasText: "Coaching handbook" }).getByText("public").waitFor();
    await page.getByRole("link", { name: "Coaching handbook" }).click();
    await page.getByRole("heading", { name: "Coaching handbook", level: 1 }).waitFor();
    // The audience can change after creation: internal, then public again (the widget answers from it below).
    const audience = page.getByRole("form", { name: "Who this knowledge base answers" });
    await audience.getByLabel("Who it answers").selectOption("internal");
    await audience.getByRole("button", { name: "Save audience" }).click();
    await audience.getByText("Now internal").waitFor();
    await audience.getByLabel("Who it answers").selectOption("public");
    await audience.getByRole("button", { name: "Save audience" }).click();
    await audience.getByText("Now public").waitFor();
    await page.getByLabel("Files to upload").setInputFiles([
      { name: "strength.md", mimeType: "text/markdown", buffer: Buffer.from(GUIDE) },
      { name: "nutrition.md", mimeType: "text/markdown", buffer: Buffer.from(NUTRITION) },
    ]);
    const uploads = page.getByRole("list", { name: "Uploads" }).locator("li");
    await expect.poll(() => uploads.count()).toBe(2);
    await expect.poll(() => uploads.evaluateAll((lis) => lis.map((li: any) => li.dataset.state)), { timeout: 60_000 }).toEqual(["completed", "completed"]);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(2);
    await checkPage("knowledge-documents");

    await page.getByRole("tab", { name: "Playground" }).click();
    await page.getByLabel("Ask a question your audience would ask").fill("How many sessions a week should I train?");
    await page.getByRole("button", { name: "Ask" }).click();
    await page.getByRole("heading", { name: "Answer" }).waitFor({ timeout: 30_000 });
    const sources = page.locator(".answer .sources li");
    expect(await sources.count()).toBeGreaterThan(0);
    expect(await page.locator(".answer .sources").textContent()).toContain("strength");
    await checkPage("knowledge-playground");

    await page.getByRole("tab", { name: "Search" }).click();
    await page.getByLabel("Search for").fill("protein");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator(".sources li").count()).toBeGreaterThan(0);
    expect(await page.locator(".sources").textContent()).toContain("Nutrition");
    await checkPage("knowledge-search");
  });

  it("settings: saves the persona, creates an API key that works and revokes it, adds a webhook endpoint", async () => {
    await nav("Settings");
    const persona = page.getByRole("form", { name: "Assistant persona" });
    await persona.getByLabel("Name").fill("Casey's assistant");
    await persona.getByRole("button", { name: "Save assistant" }).click();
    await persona.getByText("Saved").waitFor();

    const keyForm = page.getByRole("form", { name: "Create an API key" });
    await keyForm.getByLabel("Name").fill("Import script");
    await keyForm.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("secret-value").textContent())!;
    expect(key).toMatch(/^ek_/);
    await page.getByRole("region", { name: "Your new API key" }).getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied to the clipboard").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const withKey = () => fetch(`${server.url}/api/v1/conversations?limit=1`, { headers: { "X-API-Key": key } }).then((r) => r.status);
    expect(await withKey()).toBe(200);
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByTestId("secret-value").count()).toBe(0);
    const row = page.locator("tbody tr", { hasText: "Import script" });
    await row.waitFor();
    await row.getByRole("button", { name: /Revoke/ }).click();
    await row.waitFor({ state: "detached" });
    expect(await withKey()).toBe(401);

    const hookForm = page.getByRole("form", { name: "Add a webhook endpoint" });
    await hookForm.getByLabel("Endpoint URL").fill(`${receiver.url}/console`);
    await hookForm.getByRole("button", { name: "Add endpoint" }).click();
    expect(await page.getByRole("region", { name: "Signing secret" }).getByTestId("secret-value").textContent()).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "Done" }).click();
    await page.locator(".hook-list li", { hasText: `${receiver.url}/console` }).getByText("enabled").waitFor();
    await checkPage("settings");
  });

  it("copies the embed code; a visitor writes in the widget, asks for a human, and the agent answers from the inbox", async () => {
    await nav("Widget");
    const code = (await page.getByTestId("embed-code").textContent())!;
    // The versioned script (content hash, cached immutable), as the embed-code endpoint gives it.
    expect(code).toMatch(/\/widget\.[0-9a-f]{16}\.js"/);
    await page.getByRole("button", { name: "Copy embed code" }).click();
    await page.getByText("Copied to the clipboard").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    await page.frameLocator('iframe[title="Widget preview"]').locator("#edgecoach-widget .launcher").waitFor();
    await checkPage("widget");

    // The API takes the in-memory bearer token only; the session cookie alone opens nothing.
    expect(await page.evaluate(async () => (await fetch("/api/v1/auth/me")).status)).toBe(401);
    const creatorId = await creatorIdOf(EMAIL);
    // The inbox is open before the visitor writes: the conversation must arrive over the stream.
    await nav("Inbox");
    await page.getByText("· live").waitFor({ timeout: 15_000 });
    const socketsBefore = inboxSockets;
    const framesBefore = inboxFrames.length;
    const callsBefore = listCalls.length;
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const demo = await visitor.newPage();
    await demo.goto(`${server.url}/demo?creator_id=${creatorId}`);
    await demo.locator("#edgecoach-widget .launcher").click();
    const input = demo.locator("#edgecoach-widget textarea");
    await input.fill("How often should I rest?");
    await input.press("Enter");
    await page.locator(".conv-list a", { hasText: "widget" }).first().waitFor({ timeout: 30_000 });
    await demo.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 30_000 });
    await demo.locator("#edgecoach-widget .human").click();
    await demo.locator("#edgecoach-widget .msg.system").first().waitFor({ timeout: 15_000 });

    const waiting = page.locator(".conv-list a", { hasText: "waiting human" });
    await waiting.first().waitFor({ timeout: 30_000 });
    await page.getByRole("status", { name: /waiting for a human/ }).waitFor();
    // The bell counts the handover notification; it links to the conversation.
    await page.getByTestId("unread-count").waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: /Notifications/ }).click();
    const panel = page.getByRole("region", { name: "Notifications" });
    await panel.getByText("A conversation is waiting for a human").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "console-notifications.png") });
    await panel.getByRole("button", { name: "Mark all read" }).click();
    await page.getByTestId("unread-count").waitFor({ state: "detached" });
    await panel.getByRole("link", { name: "A conversation is waiting for a human" }).first().click();
    // Live, not polled: the same one socket, the events arrived on it, and every list call followed an event.
    const seen = inboxFrames.slice(framesBefore);
    expect(inboxSockets).toBe(socketsBefore);
    expect(seen.some((f) => f.event === "conversation.created")).toBe(true);
    expect(seen.some((f) => f.event === "conversation.status_changed" && f.data?.status === "waiting_human")).toBe(true);
    expect(listCalls.length - callsBefore).toBeLessThanOrEqual(seen.filter((f) => f.type === "event").length);
    await page.getByRole("list", { name: "Messages" }).getByText("How often should I rest?").waitFor({ timeout: 15_000 });
    await checkPage("inbox");
    await page.getByRole("button", { name: "Join conversation" }).click();
    await page.getByText("You are in the conversation").waitFor({ timeout: 15_000 });
    await page.getByLabel(/^Reply/).fill("Hi, I'm Casey. Rest a day between sessions.");
    await page.getByRole("button", { name: "Send reply" }).click();
    await demo.locator("#edgecoach-widget .msg.agent", { hasText: "Rest a day between sessions" }).waitFor({ timeout: 15_000 });
    await page.getByRole("list", { name: "Messages" }).getByText("Rest a day between sessions.").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "console-inbox-joined.png"), fullPage: true });
    await demo.screenshot({ path: join(ARTIFACTS, "console-widget-agent-reply.png") });

    // Files both ways: the visitor's photo shows in the thread (fetched with the agent's token) and
    // downloads as the same file; the agent attaches a PDF to a reply and the visitor gets it; a file
    // the API refuses is named with its reason and never sent.
    const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    await demo.locator("#edgecoach-widget input[type=file]").setInputFiles({ name: "lunch.png", mimeType: "image/png", buffer: PNG });
    await demo.locator("#edgecoach-widget .chip .unstage").waitFor({ timeout: 15_000 });
    await input.fill("My lunch today");
    await input.press("Enter");
    const lunch = page.getByRole("list", { name: "Messages" }).locator("li[data-sender=user]", { hasText: "My lunch today" });
    const photo = lunch.getByRole("img", { name: "lunch.png" });
    await photo.waitFor({ timeout: 15_000 });
    await expect.poll(() => photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), { timeout: 15_000 }).toBe(1);
    const [photoDownload] = await Promise.all([page.waitForEvent("download"), lunch.getByRole("button", { name: /^Download lunch\.png · \d+ B$/ }).click()]);
    expect(photoDownload.suggestedFilename()).toBe("lunch.png");
    expect(readFileSync(await photoDownload.path()).equals(PNG)).toBe(true);
    const replyFiles = page.locator("#reply-files");
    await replyFiles.setInputFiles({ name: "evil.svg", mimeType: "image/svg+xml", buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
    const tray = page.getByRole("list", { name: "Files to send" });
    await tray.getByRole("alert").filter({ hasText: /could not be attached: Active content/ }).waitFor({ timeout: 15_000 });
    await tray.getByRole("button", { name: "Remove evil.svg" }).click();
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");
    await replyFiles.setInputFiles({ name: "plan.pdf", mimeType: "application/pdf", buffer: pdf });
    await tray.getByText("ready").waitFor({ timeout: 15_000 });
    await page.getByLabel(/^Reply/).fill("Your plan is attached.");
    await checkPage("inbox-files");
    await page.getByRole("button", { name: "Send reply" }).click();
    await tray.waitFor({ state: "detached" });
    await demo.locator("#edgecoach-widget .msg.agent .files button", { hasText: "plan.pdf" }).waitFor({ timeout: 15_000 });
    await page.getByRole("list", { name: "Messages" }).locator("li[data-sender=agent]", { hasText: "Your plan is attached." }).getByRole("button", { name: /plan\.pdf/ }).waitFor();
    // Stored as the message's attachment, and only the PDF: the refused SVG never became a file.
    const token = await tokenOf(EMAIL);
    const convId = new URL(page.url()).pathname.split("/").pop()!;
    const stored = (await (await fetch(`${server.url}/api/v1/conversations/${convId}/files`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { files: { name: string }[] };
    expect(stored.files.map((f) => f.name).sort()).toEqual(["lunch.png", "plan.pdf"]);
    await page.screenshot({ path: join(ARTIFACTS, "console-inbox-files.png"), fullPage: true });

    // What the assistant remembers about this visitor: add, edit, forget (the memory API).
    const memory = page.getByRole("region", { name: "What the assistant remembers" });
    await memory.getByText("Add a memory").click();
    const addForm = page.getByRole("form", { name: "Add a memory" });
    await addForm.getByLabel("Key").fill("goal");
    await addForm.getByLabel("Value").fill("Run a 5K in spring");
    await addForm.getByRole("button", { name: "Remember" }).click();
    const memories = page.getByRole("list", { name: "Memories" });
    await memories.getByText("Run a 5K in spring").waitFor();
    await memories.getByRole("button", { name: "Edit goal" }).click();
    await page.getByLabel("New value of goal").fill("Run a 10K in autumn");
    await memories.getByRole("button", { name: "Save" }).click();
    await memories.getByText("Run a 10K in autumn").waitFor();
    await checkPage("inbox-memory");
    await memories.getByRole("button", { name: "Forget goal" }).click();
    await memories.getByText("Run a 10K in autumn").waitFor({ state: "detached" });

    // The agent's socket drops: the view says it is reconnecting; what the visitor writes meanwhile
    // arrives once the socket is back, over the resumed socket, each message once.
    const socketsBefore2 = conversationRoutes.length;
    conversationOffline = true;
    inboxOffline = true;
    for (const r of conversationRoutes.splice(0)) {
      await r.server.close({ code: 1001, reason: "network lost" }).catch(() => undefined);
      await r.page.close({ code: 4000, reason: "network lost" }).catch(() => undefined);
    }
    for (const r of inboxRoutes.splice(0)) {
      await r.server.close({ code: 1001, reason: "network lost" }).catch(() => undefined);
      await r.page.close({ code: 4000, reason: "network lost" }).catch(() => undefined);
    }
    await page.getByTestId("conversation-reconnecting").waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, "console-inbox-reconnecting.png"), fullPage: true });
    const away = ["Are you still there?", "I also wanted to ask about stretching."];
    for (const text of away) {
      await input.fill(text);
      await input.press("Enter");
      await demo.locator("#edgecoach-widget .msg.user[data-seq]", { hasText: text }).waitFor({ timeout: 15_000 });
    }
    expect(await page.getByRole("list", { name: "Messages" }).getByText(away[1]!).count()).toBe(0);
    const framesBefore2 = conversationFrames.length;
    conversationOffline = false;
    await page.getByText("You are in the conversation").waitFor({ timeout: 30_000 });
    const thread = page.getByRole("list", { name: "Messages" });
    for (const text of away) await thread.getByText(text, { exact: true }).waitFor({ timeout: 15_000 });
    expect(socketsBefore2).toBeGreaterThan(0);
    // The new socket (not a REST reload) delivered them, after the resume.
    const resumed = conversationFrames.slice(framesBefore2).map((f) => f.frame);
    for (const text of away) expect(resumed.some((f) => f.type === "message" && f.text === text), text).toBe(true);
    // The inbox stream comes back too and catches up; the thread still holds each message once.
    inboxOffline = false;
    await page.getByText("· live").waitFor({ timeout: 30_000 });
    // Nothing doubled: every message once, in seq order.
    const seqs = await thread.locator("li[data-sender]").evaluateAll((lis) => lis.map((li: any) => li.textContent));
    for (const text of [...away, "How often should I rest?", "Hi, I'm Casey. Rest a day between sessions."]) {
      expect(seqs.filter((t: string) => t.includes(text)), text).toHaveLength(1);
    }
    await page.getByRole("button", { name: "Resolve" }).click();
    await page.locator("#conv-title .badge", { hasText: "completed" }).waitFor({ timeout: 15_000 });
    await visitor.close();
  });

  it("builds a three-step program, sees a problem on its step, fixes it and publishes", async () => {
    await nav("Programs");
    await page.getByLabel("Program name").fill("Week one");
    await page.getByRole("button", { name: "Create and open the builder" }).click();
    await page.getByRole("heading", { name: "Week one", level: 1 }).waitFor();
    await expect.poll(() => page.locator(".react-flow__node").count()).toBe(3);
    // The starter's message is empty: publishing names the problem on that very step.
    await page.getByRole("button", { name: "Publish" }).click();
    await page.locator(".react-flow__node .flow-node.invalid").first().waitFor();
    expect(await page.locator(".react-flow__node .flow-node.invalid").textContent()).toContain("message");
    await checkPage("program-builder-invalid");
    await page.getByRole("group", { name: "Add a step" }).waitFor();
    await page.getByRole("list", { name: "Select a step to edit" }).getByRole("button", { name: /Send message/ }).click();
    await page.getByLabel("Message", { exact: true }).fill("Welcome to week one! Reply when you have done your first session.");
    await page.getByRole("button", { name: "Publish" }).click();
    await page.getByText("Published version 2").waitFor();
    expect(await page.locator(".flow-node.invalid").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "console-program-published.png"), fullPage: true });

    // The program's own enrolments: the widget visitor enrolled (over the API), then paused, resumed, cancelled here.
    const programId = new URL(page.url()).pathname.split("/").pop()!;
    const bearer = await tokenOf(EMAIL);
    const users = (await (await fetch(`${server.url}/api/v1/users?limit=5`, { headers: { Authorization: `Bearer ${bearer}` } })).json()) as { users: { id: string }[] };
    const enrolled = await fetch(`${server.url}/api/v1/users/${users.users[0]!.id}/programs/${programId}/enroll`, { method: "POST", headers: { Authorization: `Bearer ${bearer}` } });
    expect(enrolled.status).toBe(201);
    await page.reload();
    const enrolments = page.getByRole("region", { name: "Enrolments of this program" });
    const row = enrolments.locator("tbody tr").first();
    await row.getByText("active").waitFor({ timeout: 15_000 });
    await row.getByRole("button", { name: /^Pause / }).click();
    await row.getByText("paused").waitFor();
    await checkPage("program-enrolments");
    await row.getByRole("button", { name: /^Resume / }).click();
    await row.getByText("active").waitFor();
    await row.getByRole("button", { name: /^Cancel / }).click();
    await row.getByText("cancelled").waitFor();
    expect(await row.getByRole("button").count()).toBe(0);
    await nav("Programs");
    await page.locator("tbody tr", { hasText: "Week one" }).getByText("published").waitFor();
    await checkPage("programs");
  });

  it("invites a team member", async () => {
    await nav("Team & account");
    const form = page.getByRole("form", { name: "Invite a member" });
    await form.getByLabel("Name").fill("Alex Agent");
    await form.getByLabel("Email").fill(`alex-${Date.now()}@example.com`);
    await page.getByRole("button", { name: "Send invitation" }).click();
    await page.getByText(/Invitation sent to alex-/).waitFor();
    await page.locator("tbody tr", { hasText: "Alex Agent" }).getByText("invited").waitFor();
    await checkPage("team");
  });

  it("the other pages load and pass axe: channels, proactive rules, audience, analytics; home ticks its steps off", async () => {
    for (const [label, name] of [
      ["Channels", "channels"],
      ["Proactive rules", "proactive"],
      ["Audience", "audience"],
      ["Analytics", "analytics"],
    ] as const) {
      await nav(label);
      if (name === "analytics") {
        await page.locator(".series-chart canvas").waitFor({ timeout: 15_000 });
        await page.getByRole("heading", { name: "Support" }).waitFor();
        await page.getByRole("table", { name: "Totals for the period" }).getByText("web", { exact: true }).waitFor({ timeout: 15_000 });
        // The same series split by new/returning users and by program (segment rollups).
        await page.getByLabel("Split by").selectOption("user_type");
        await page.getByRole("table", { name: "Totals for the period" }).getByText("New users (first conversation)").waitFor({ timeout: 15_000 });
        await page.getByLabel("Split by").selectOption("program");
        await page.getByRole("table", { name: "Totals for the period" }).getByText("No program").waitFor({ timeout: 15_000 });
        // The visitor's question before the handover is a knowledge gap; acting on it leads to Knowledge.
        const gaps = page.getByRole("list", { name: "Knowledge gaps" });
        await gaps.getByRole("heading", { name: "How often should I rest?" }).waitFor({ timeout: 15_000 });
        expect(await gaps.locator(".gap").first().textContent()).toContain("handover");
        expect(await gaps.getByRole("link", { name: /Open conversation 1/ }).count()).toBe(1);
        await checkPage("analytics-gaps");
        // At 360 px the support-by-channel table fits its card: every column is seen, none clipped.
        await page.setViewportSize({ width: 360, height: 740 });
        try {
          const region = page.getByRole("region", { name: "Support by channel" });
          const fit = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
          expect(fit.scroll, "the by-channel table scrolls sideways at 360 px").toBeLessThanOrEqual(fit.client);
          await region.screenshot({ path: join(ARTIFACTS, "console-analytics-by-channel-360.png") });
        } finally {
          await page.setViewportSize({ width: 1440, height: 900 });
        }
        await gaps.getByRole("link", { name: "Write the answer: add a document" }).first().click();
        await page.getByTestId("gap-note").getByText("How often should I rest?").waitFor();
        await nav("Analytics");
        await page.getByRole("heading", { name: "Knowledge gaps" }).waitFor();
      }
      await checkPage(name);
    }
    // The handover went out as a signed webhook, and the delivery log shows it delivered.
    await expect.poll(() => receiver.received("console").length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(JSON.parse(receiver.received("console")[0]!.body).event).toBe("escalation.created");
    await nav("Settings");
    await page.getByRole("button", { name: "Delivery log" }).click();
    await page.locator("tbody tr", { hasText: "escalation.created" }).getByText("succeeded").waitFor({ timeout: 30_000 });
    await checkPage("settings-deliveries");
    await nav("Home");
    await page.getByText("4 of 5 done").waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, "console-home-after.png"), fullPage: true });
  });

  it("works from the keyboard: skip link, menu at 360 px, signing out clears the cookie session", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${server.url}/app/`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Menu");
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Inbox", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect((await context.cookies()).find((c) => c.name === "ec_refresh")).toBeUndefined();
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});
