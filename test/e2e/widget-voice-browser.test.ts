// The widget's voice recorder in a real browser (Debian's Chromium with its fake microphone:
// --use-fake-device-for-media-stream --use-fake-ui-for-media-stream) against `wrangler dev` with the
// OpenAI-compatible stand-in for speech to text: record, stop, the note is uploaded as a conversation
// file and sent, the transcript replaces "Voice message" when the `transcription` frame arrives, and
// the assistant answers. A browser without MediaRecorder gets no microphone button.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../support/axe";
import { startOpenAiStub, type OpenAiStub } from "../support/openai-stub";
import { ROOT, startWranglerDev, type DevServer } from "../support/wrangler-dev";

// Inside page.evaluate callbacks only (this project's types have no DOM library).
declare const window: any;

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "artifacts");
let server: DevServer;
let openai: OpenAiStub;
let browser: Browser;
let creatorId: string;
let ownerToken: string;

beforeAll(async () => {
  openai = await startOpenAiStub();
  server = await startWranglerDev({ vars: { RATE_LIMITS_ENABLED: "false", AI_PROVIDERS: "openai", OPENAI_BASE_URL: openai.url } });
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `voice-${Date.now()}@example.com`, password: "Correct-Horse-Battery-9", full_name: "Voice Demo" }),
  });
  const registered = (await res.json()) as { creator: { id: string }; access_token: string };
  creatorId = registered.creator.id;
  ownerToken = registered.access_token;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await openai?.close();
});

describe.skipIf(!existsSync(CHROMIUM))("widget voice recorder in Chromium", () => {
  it("records a voice note, uploads and sends it; the transcript appears and the assistant answers", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ["microphone"] });
    const page = await context.newPage();
    const frames: { type: string; [k: string]: any }[] = [];
    page.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => frames.push(JSON.parse(String(payload)))));
    await page.goto(`${server.url}/demo?creator_id=${creatorId}`);
    await page.locator("#edgecoach-widget .launcher").click();
    const mic = page.locator("#edgecoach-widget .mic");
    await mic.waitFor();
    expect(await mic.getAttribute("aria-label")).toBe("Record a voice message");
    // The socket is up before recording (the note is sent over it).
    await expect.poll(() => frames.some((f) => f.type === "connection_established"), { timeout: 15_000 }).toBe(true);

    await mic.click();
    await expect.poll(() => mic.getAttribute("aria-pressed")).toBe("true");
    expect(await mic.getAttribute("aria-label")).toBe("Stop recording and send");
    await page.screenshot({ path: join(ARTIFACTS, "widget-voice-recording.png") });
    await page.waitForTimeout(1500);
    await mic.click();
    await expect.poll(() => mic.getAttribute("aria-pressed")).toBe("false");

    // The note went up as a file and down again as the message's attachment.
    const shown = await expect.poll(() => frames.find((f) => f.type === "message" && f.sender === "user")?.attachments?.length, { timeout: 15_000 }).toBe(1).then(() => frames.find((f) => f.type === "message" && f.sender === "user")!);
    expect(shown.text).toBe("");
    expect(shown.attachments[0].contentType).toMatch(/^(audio|video)\/webm$/);
    const heard = await expect.poll(() => frames.find((f) => f.type === "transcription"), { timeout: 20_000 }).toBeTruthy().then(() => frames.find((f) => f.type === "transcription")!);
    expect(heard).toMatchObject({ status: "transcribed", seq: shown.seq });
    // The stand-in "hears" the bytes it got: a transcript naming their size proves the recording arrived whole.
    expect(heard.text).toMatch(/^\(\d+ bytes of sound, checksum \d+\)$/);
    const bubble = page.locator(`#edgecoach-widget .msg.user[data-seq="${shown.seq}"] p`);
    await expect.poll(() => bubble.textContent(), { timeout: 10_000 }).toBe(heard.text);
    await page.locator("#edgecoach-widget .msg.ai[data-seq]").first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, "widget-voice-transcribed.png") });
    expect(await seriousViolations(page)).toEqual([]);

    // The file is the conversation's, readable by the creator: the bytes the browser recorded.
    const conversationId = await page.evaluate(() => {
      for (let i = 0; i < window.localStorage.length; i++) {
        const k = window.localStorage.key(i);
        if (k?.startsWith("edgecoach:")) return JSON.parse(window.localStorage.getItem(k)).conversation_id as string;
      }
      return "";
    });
    const listed = (await (await fetch(`${server.url}/api/v1/conversations/${conversationId}/files`, { headers: { Authorization: `Bearer ${ownerToken}` } })).json()) as { files: { id: string; size: number; source: string }[] };
    expect(listed.files.map((f) => f.id)).toEqual([shown.attachments[0].id]);
    expect(heard.text).toContain(`(${listed.files[0]!.size} bytes`);
    await context.close();
  });

  it("hides the microphone where MediaRecorder is missing", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    await context.addInitScript(() => {
      delete window.MediaRecorder;
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/demo?creator_id=${creatorId}`);
    await page.locator("#edgecoach-widget .launcher").click();
    await page.locator("#edgecoach-widget textarea").waitFor();
    expect(await page.locator("#edgecoach-widget .mic").isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "widget-voice-unsupported-360.png") });
    await context.close();
  });
});
