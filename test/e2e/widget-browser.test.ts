// The widget in a real browser (Debian's Chromium, headless, driven by playwright-core) against
// `wrangler dev`: /demo, open, ask, streamed reply and its sources, reload keeps the history, 360 px,
// keyboard, files (paperclip upload, previews, an agent's download). Screenshots are saved under artifacts/ as test artifacts.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRANSLATIONS } from "../../src/widget/i18n";
import { seriousViolations } from "../support/axe";
import { ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";
import { startTcpProxy } from "../support/tcp-proxy";
import { WsClient } from "../support/ws-client";

// Inside page.evaluate callbacks only (this project's types have no DOM library).
declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
let server: DevServer;
let browser: Browser;
let creatorId: string;
let ownerToken: string;

beforeAll(async () => {
  server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false" } });
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `browser-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Browser Demo" }),
  });
  const registered = (await res.json()) as { creator: { id: string }; access_token: string };
  creatorId = registered.creator.id;
  ownerToken = registered.access_token;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Records the final `message` frames the page's WebSocket receives (to compare with what is drawn). */
function recordFrames(page: Page) {
  const finals: { sender: string; text: string; sources?: unknown[] }[] = [];
  const deltas: string[] = [];
  page.on("websocket", (ws) =>
    ws.on("framereceived", ({ payload }) => {
      const f = JSON.parse(String(payload)) as { type: string; sender: string; text: string; delta: string; sources?: unknown[] };
      if (f.type === "message") finals.push(f);
      if (f.type === "ai_delta") deltas.push(f.delta);
    }),
  );
  return { finals, deltas };
}

describe.skipIf(!existsSync(CHROMIUM))("widget in Chromium", () => {
  it("asks, streams, shows sources, survives a reload with its history", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const seen = recordFrames(page);
    await page.goto(`${server.url}/demo?creator_id=${creatorId}`);
    const launcher = page.locator("#edgecoach-widget .launcher");
    await launcher.click();
    await expect.poll(() => launcher.getAttribute("aria-expanded")).toBe("true");
    const input = page.locator("#edgecoach-widget textarea");
    await input.fill("How do I get started?");
    await input.press("Enter");

    const ai = page.locator("#edgecoach-widget .msg.ai[data-seq]");
    await ai.first().waitFor({ timeout: 15_000 });
    const final = seen.finals.find((f) => f.sender === "ai")!;
    expect(seen.deltas.length).toBeGreaterThan(0);
    expect(seen.deltas.join("")).toBe(final.text);
    expect(await ai.first().locator("p").textContent()).toBe(final.text);
    // Every source the answer came with is drawn under it (up to five).
    expect(await ai.first().locator(".sources li").count()).toBe(Math.min(5, final.sources?.length ?? 0));
    await expect.poll(() => page.locator("#edgecoach-widget .msg.user[data-seq]").count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "widget-desktop.png") });
    // axe-core walks into the widget's open shadow root: nothing serious or critical, open and answered.
    expect(await seriousViolations(page)).toEqual([]);

    await page.reload();
    // The panel reopens by itself (it was open) and the history comes back from the conversation.
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 15_000 });
    expect(await page.locator("#edgecoach-widget .msg.user[data-seq] p").allTextContents()).toEqual(["How do I get started?"]);
    expect(await page.locator("#edgecoach-widget .msg.ai[data-seq] p").first().textContent()).toBe(final.text);
    await page.screenshot({ path: join(ARTIFACTS, "widget-after-reload.png") });
    await context.close();
  });

  it("fits a 360 px screen and works from the keyboard", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/demo?creator_id=${creatorId}`);
    const launcher = page.locator("#edgecoach-widget .launcher");
    await launcher.focus();
    await page.keyboard.press("Enter");
    const panel = page.locator("#edgecoach-widget .panel");
    await panel.waitFor({ state: "visible" });
    const box = (await panel.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(740);
    const header = (await page.locator("#edgecoach-widget header").boundingBox())!;
    expect(header.y).toBeGreaterThanOrEqual(0);
    // Focus moved into the message box; typing and Enter send.
    expect(await page.evaluate(() => document.getElementById("edgecoach-widget")!.shadowRoot!.activeElement?.tagName)).toBe("TEXTAREA");
    await page.keyboard.type("Hello from a phone");
    await page.keyboard.press("Enter");
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 15_000 });
    expect(await page.locator("#edgecoach-widget .log").getAttribute("aria-live")).toBe("polite");
    await page.screenshot({ path: join(ARTIFACTS, "widget-360.png") });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.getElementById("edgecoach-widget")!.shadowRoot!.activeElement?.className)).toBe("launcher");
    await context.close();
  });

  it("shows the whole placeholder in every language it ships at 360 px, and grows with what is typed", async () => {
    const res = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: `browser-360-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Browser 360" }),
    });
    const owner = (await res.json()) as { creator: { id: string }; access_token: string };
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    // A tab per language (the panel's open state lives in the tab's sessionStorage).
    let page = await context.newPage();
    const box = () => page.locator("#edgecoach-widget textarea");
    const measure = () => box().evaluate((el) => {
      const t = el as unknown as { scrollHeight: number; clientHeight: number; value: string };
      return { scrollHeight: t.scrollHeight, clientHeight: t.clientHeight, value: t.value };
    });
    for (const [language, strings] of Object.entries(TRANSLATIONS)) {
      const put = await fetch(`${server.url}/api/v1/creators/widget/config`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${owner.access_token}` },
        body: JSON.stringify({ language }),
      });
      expect(put.status).toBe(200);
      await page.close();
      page = await context.newPage();
      await page.goto(`${server.url}/demo?creator_id=${owner.creator.id}`);
      await page.locator("#edgecoach-widget .launcher").click();
      await expect.poll(() => box().getAttribute("placeholder")).toBe(strings.placeholder);
      // Empty, so the placeholder is what is shown: all of it fits inside the box (nothing to scroll to).
      const shown = await measure();
      expect(shown.value).toBe("");
      expect(shown.scrollHeight, language).toBeLessThanOrEqual(shown.clientHeight);
      await page.screenshot({ path: join(ARTIFACTS, `widget-360-${language}.png`) });
    }
    // Three lines typed: the box grows to show them.
    const empty = await measure();
    await box().fill("one\ntwo\nthree");
    const typed = await measure();
    expect(typed.clientHeight).toBeGreaterThan(empty.clientHeight);
    expect(typed.scrollHeight).toBeLessThanOrEqual(typed.clientHeight);
    await context.close();
  });

  it("attaches files with the paperclip (progress, errors, previews) at 360 px by keyboard; the agent downloads the visitor's photo and sends one back", async () => {
    const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/demo?creator_id=${creatorId}`);
    await page.locator("#edgecoach-widget .launcher").click();
    await page.locator("#edgecoach-widget textarea").waitFor({ state: "visible" });
    // The paperclip is a labelled button reached by Tab from the launcher's panel.
    const clip = page.locator("#edgecoach-widget .clip");
    expect(await clip.getAttribute("aria-label")).toBe("Attach files");
    // Connected first (an answered question), so no reconnect notice replaces the upload's.
    await page.locator("#edgecoach-widget textarea").fill("Hello");
    await page.locator("#edgecoach-widget textarea").press("Enter");
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 15_000 });
    const fileInput = page.locator("#edgecoach-widget input[type=file]");

    // A refused file: the server's reason is shown, nothing is staged.
    await fileInput.setInputFiles({ name: "evil.svg", mimeType: "image/svg+xml", buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
    await page.locator("#edgecoach-widget .notice", { hasText: "evil.svg could not be sent" }).waitFor({ timeout: 15_000 });
    expect(await page.locator("#edgecoach-widget .tray .chip").count()).toBe(0);

    await fileInput.setInputFiles({ name: "lunch.png", mimeType: "image/png", buffer: PNG });
    await page.locator("#edgecoach-widget .chip .unstage").waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, "widget-files-staged-360.png") });
    await page.locator("#edgecoach-widget textarea").focus();
    await page.keyboard.type("My lunch today");
    await page.keyboard.press("Enter");
    const mine = page.locator("#edgecoach-widget .msg.user[data-seq]", { hasText: "My lunch today" });
    await mine.first().waitFor({ timeout: 15_000 });
    const preview = mine.first().locator(".files img.preview");
    await preview.waitFor();
    await expect.poll(() => preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth), { timeout: 15_000 }).toBe(1);
    expect(await mine.first().locator(".files button").textContent()).toMatch(/^Download lunch\.png · \d+ B$/);
    expect(await page.locator("#edgecoach-widget .tray").isHidden()).toBe(true);

    // The agent finds it in the conversation and downloads the very bytes.
    const conversationId = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k: string) => k.startsWith("edgecoach:"))!;
      return (JSON.parse(localStorage.getItem(key)!) as { conversation_id: string }).conversation_id;
    });
    const auth = { Authorization: `Bearer ${ownerToken}` };
    const listed = (await (await fetch(`${server.url}/api/v1/conversations/${conversationId}/files`, { headers: auth })).json()) as { files: { id: string; name: string; source: string; download_url: string }[] };
    expect(listed.files.map((f) => [f.name, f.source])).toEqual([["lunch.png", "widget"]]);
    const dl = await fetch(`${server.url}${listed.files[0]!.download_url}`, { headers: auth });
    expect(dl.headers.get("content-type")).toBe("image/png");
    expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await dl.arrayBuffer()).equals(PNG)).toBe(true);

    // The agent answers with a PDF: the visitor gets a download button and the file.
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");
    const form = new FormData();
    form.append("files", new Blob([pdf], { type: "application/pdf" }), "plan.pdf");
    const up = await fetch(`${server.url}/api/v1/conversations/${conversationId}/files`, { method: "POST", headers: auth, body: form });
    expect(up.status).toBe(201);
    const agentFile = ((await up.json()) as { files: { id: string }[] }).files[0]!;
    const agent = await WsClient.open(`${server.url.replace(/^http/, "ws")}/api/v1/conversations/${conversationId}/connect?token=${ownerToken}`);
    agent.send({ type: "message", id: "agent-pdf", text: "Your plan", attachments: [agentFile.id] });
    const button = page.locator("#edgecoach-widget .msg.agent .files button");
    await button.waitFor({ timeout: 15_000 });
    await button.focus();
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    expect(download.suggestedFilename()).toBe("plan.pdf");
    await page.screenshot({ path: join(ARTIFACTS, "widget-files-360.png") });
    expect(await seriousViolations(page)).toEqual([]);
    agent.close();
    await context.close();
  });

  it("speaks the widget config's language, and falls back to English for one it doesn't have", async () => {
    const res = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: `browser-de-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Browser DE" }),
    });
    const owner = (await res.json()) as { creator: { id: string }; access_token: string };
    const setLanguage = (language: string) =>
      fetch(`${server.url}/api/v1/creators/widget/config`, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${owner.access_token}` },
        body: JSON.stringify({ language }),
      });
    expect((await setLanguage("de")).status).toBe(200);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`${server.url}/demo?creator_id=${owner.creator.id}`);
    await page.locator("#edgecoach-widget .launcher").click();
    const input = page.locator("#edgecoach-widget textarea");
    await expect.poll(() => input.getAttribute("placeholder")).toBe("Nachricht eingeben…");
    expect(await page.locator("#edgecoach-widget .send").textContent()).toBe("Senden");
    expect(await page.locator("#edgecoach-widget h2").textContent()).toBe("Schreiben Sie uns");
    expect(await page.locator("#edgecoach-widget .human").getAttribute("aria-label")).toBe("Mit einem Menschen sprechen");
    expect(await page.locator("#edgecoach-widget .welcome p").textContent()).toBe("Hallo! Fragen Sie mich alles.");
    // Once connected (an answered question), a handover shows its status in German too.
    await input.fill("Wie fange ich an?");
    await input.press("Enter");
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 15_000 });
    await page.locator("#edgecoach-widget .human").click();
    await page.locator("#edgecoach-widget .status", { hasText: "Warten auf einen Mitarbeiter" }).waitFor({ timeout: 15_000 });
    // The platform's notice in the chat, in German too (its stored text is English).
    await page.locator("#edgecoach-widget .msg.system p", { hasText: "Wir verbinden Sie mit einem Mitarbeiter" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "widget-de.png") });

    expect((await setLanguage("it")).status).toBe(200);
    await page.reload();
    await expect.poll(() => input.getAttribute("placeholder")).toBe("Type your message…");
    expect(await page.locator("#edgecoach-widget .send").textContent()).toBe("Send");
    await context.close();
  });

  it("reconnects after a network loss and shows what it missed once, in order, without gaps", async () => {
    // The page talks to the Worker through a proxy whose connections the test can cut.
    const proxy = await startTcpProxy(server.port);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/demo?creator_id=${creatorId}`);
    await page.locator("#edgecoach-widget .launcher").click();
    const input = page.locator("#edgecoach-widget textarea");
    await input.fill("Before the tunnel");
    await input.press("Enter");
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 15_000 });
    const conversationId = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith("edgecoach:"))!;
      return (JSON.parse(localStorage.getItem(key)!) as { conversation_id: string }).conversation_id;
    });
    const agent = await WsClient.open(`${server.url.replace(/^http/, "ws")}/api/v1/conversations/${conversationId}/connect?token=${ownerToken}`);
    await page.locator("#edgecoach-widget .status", { hasText: "is here" }).waitFor();

    proxy.cut();
    await page.locator("#edgecoach-widget .notice", { hasText: "Reconnecting" }).waitFor({ timeout: 15_000 });
    for (const n of [1, 2, 3]) await agent.say(`agent-${n}`, `While you were away ${n}`);
    // Written during the outage: shown as pending, delivered once after the reconnect.
    await input.fill("Sent from the tunnel");
    await input.press("Enter");
    await page.locator("#edgecoach-widget .msg.user.pending").waitFor();
    proxy.restore();

    const agentBubbles = page.locator("#edgecoach-widget .msg.agent[data-seq] p");
    await expect.poll(() => agentBubbles.count(), { timeout: 20_000 }).toBe(3);
    expect(await agentBubbles.allTextContents()).toEqual([1, 2, 3].map((n) => `While you were away ${n}`));
    await expect.poll(() => page.locator("#edgecoach-widget .msg.user[data-seq]").count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator("#edgecoach-widget .msg.user p").allTextContents()).toEqual(["Before the tunnel", "Sent from the tunnel"]);
    await page.locator("#edgecoach-widget .status", { hasText: "is here" }).waitFor();
    const seqs = (await page.locator("#edgecoach-widget .msg[data-seq]").evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { seq: string } }).dataset.seq))));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    await page.screenshot({ path: join(ARTIFACTS, "widget-after-reconnect.png") });
    agent.close();
    await context.close();
    await proxy.close();
  });
});
