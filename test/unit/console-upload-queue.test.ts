// The knowledge page's upload queue: batches, per-file progress, the batch answer, processing states.
import { describe, expect, it } from "vitest";
import { applyBatchAnswer, failBatch, isSettling, mergeDocuments, newItems, planBatches, progressByFile, setUploadProgress } from "../../src/console/knowledge/upload-queue";

const MB = 1024 * 1024;

describe("planBatches", () => {
  it("cuts by file count and by bytes, and sends an oversized file alone", () => {
    expect(planBatches([1, 1, 1, 1, 1], 2, 100)).toEqual([[0, 1], [2, 3], [4]]);
    expect(planBatches([6 * MB, 3 * MB, 1 * MB], 20, 8 * MB)).toEqual([[0], [1, 2]]);
    expect(planBatches([20 * MB, 1], 20, 8 * MB)).toEqual([[0], [1]]);
    expect(planBatches([])).toEqual([]);
  });
});

describe("progressByFile", () => {
  it("fills files in request order as bytes go out", () => {
    expect(progressByFile([100, 100], 0, 220)).toEqual([0, 0]);
    expect(progressByFile([100, 100], 110, 220)).toEqual([1, 0]);
    expect(progressByFile([100, 300], 220, 440)).toEqual([1, expect.closeTo(1 / 3, 5)]);
    expect(progressByFile([100, 100], 500, 220)).toEqual([1, 1]);
    expect(progressByFile([0, 10], 0, 0)).toEqual([1, 0]);
  });
});

describe("the batch answer and the document list", () => {
  const items = newItems([{ name: "a.md", size: 10 }, { name: "bad.exe", size: 10 }, { name: "c.md", size: 10 }], "d0");

  it("maps accepted documents in order around the rejected positions", () => {
    const uploading = setUploadProgress(items, [0, 1, 2], 15, 30);
    expect(uploading.map((i) => [i.state, i.progress])).toEqual([
      ["uploading", 1],
      ["uploading", 0.5],
      ["uploading", 0],
    ]);
    const answered = applyBatchAnswer(uploading, [0, 1, 2], {
      documents: [
        { id: "doc-a", processing_status: "pending", error_message: null },
        { id: "doc-c", processing_status: "pending", error_message: null },
      ],
      errors: [{ index: 1, filename: "bad.exe", error: { message: "Unsupported file type" } }],
    });
    expect(answered.map((i) => [i.state, i.documentId, i.error])).toEqual([
      ["pending", "doc-a", undefined],
      ["failed", undefined, "Unsupported file type"],
      ["pending", "doc-c", undefined],
    ]);
    expect(isSettling(answered)).toBe(true);

    const doc = (id: string, status: "processing" | "completed" | "failed", done = 0, total = 0, error: string | null = null) => ({
      id,
      processing_status: status,
      error_message: error,
      progress: { chunks_done: done, chunks_total: total },
    });
    const processing = mergeDocuments(answered, [doc("doc-a", "processing", 1, 4), doc("doc-c", "processing")]);
    expect(processing.map((i) => [i.state, i.progress])).toEqual([
      ["processing", 0.25],
      ["failed", 1],
      ["processing", 0],
    ]);
    const settled = mergeDocuments(processing, [doc("doc-a", "completed", 4, 4), doc("doc-c", "failed", 0, 0, "No text found in the PDF")]);
    expect(settled.map((i) => [i.state, i.error])).toEqual([
      ["completed", undefined],
      ["failed", "Unsupported file type"],
      ["failed", "No text found in the PDF"],
    ]);
    expect(isSettling(settled)).toBe(false);
    // Nothing new: the same array comes back, so React doesn't redraw.
    expect(mergeDocuments(settled, [doc("doc-a", "completed", 4, 4)])).toBe(settled);
  });

  it("a batch that fails as a whole marks every file in it with the reason", () => {
    expect(failBatch(items, [0, 2], "Request body exceeds 33554432 bytes").map((i) => i.state)).toEqual(["failed", "queued", "failed"]);
  });
});

describe("inbox thread", async () => {
  const { mergeMessages } = await import("../../src/console/inbox/thread");
  const m = (seq: number, text = `m${seq}`) => ({ id: `id${seq}`, seq, sender: "user" as const, sender_name: null, text, sources: null, created_at: "" });
  it("merges REST pages and socket frames by seq, in order, the newest copy winning", () => {
    expect(mergeMessages([m(1), m(3)], [m(2), m(3, "again")]).map((x) => [x.seq, x.text])).toEqual([
      [1, "m1"],
      [2, "m2"],
      [3, "again"],
    ]);
  });
});

describe("live inbox frames", async () => {
  const { invalidationsFor, isHandover, nextDelay } = await import("../../src/console/inbox/inbox-events");
  const ev = (event: string, data: Record<string, unknown>) => ({ type: "event", seq: 7, event, data });
  it("a message makes the lists and that thread stale, not every thread", () => {
    expect(invalidationsFor(ev("message.created", { conversation_id: "c1", preview: "hi" }))).toEqual([
      ["conversations", "list"],
      ["conversations", "count"],
      ["conversations", "recent"],
      ["conversations", "c1", "messages"],
    ]);
  });
  it("a notification refreshes only the bell; a resume gap reloads everything; control frames nothing", () => {
    expect(invalidationsFor(ev("notification", { id: "n" }))).toEqual([["notifications"]]);
    expect(invalidationsFor({ type: "resume_gap" })).toContainEqual(["conversations"]);
    expect(invalidationsFor({ type: "resumed", last_seq: 3 })).toEqual([]);
    expect(invalidationsFor({ type: "pong" })).toEqual([]);
  });
  it("a handover is a status change into waiting_human, nothing else", () => {
    expect(isHandover(ev("conversation.status_changed", { status: "waiting_human", previous_status: "active" }))).toBe(true);
    expect(isHandover(ev("conversation.status_changed", { status: "completed", previous_status: "waiting_human" }))).toBe(false);
    expect(isHandover(ev("conversation.created", { status: "waiting_human" }))).toBe(false);
  });
  it("reconnects back off from 1 s to at most 15 s", () => {
    expect([0, 1, 2, 3, 4, 10].map(nextDelay)).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });
});

describe("analytics series", async () => {
  const { toColumns, toCsv, bucketSeconds } = await import("../../src/console/analytics/series");
  const data: { date: string; value: number; segments: Record<string, number | null> }[] = [
    { date: "2026-12-01", value: 3, segments: { widget: 2, telegram: 1 } },
    { date: "2026-12-02", value: 1, segments: { widget: 1 } },
  ];
  it("one series per channel in a stable order; a channel absent from a bucket had 0 of a count, no value of a ratio", () => {
    expect(toColumns(data, { ratio: true }).series[0]).toEqual({ label: "telegram", values: [1, null] });
    const c = toColumns(data);
    expect(c.xs).toEqual([Date.parse("2026-12-01T00:00:00Z") / 1000, Date.parse("2026-12-02T00:00:00Z") / 1000]);
    expect(c.series).toEqual([
      { label: "telegram", values: [1, 0] },
      { label: "widget", values: [2, 1] },
    ]);
    expect(toColumns([{ date: "2026-12-01", value: 4 }]).series).toEqual([{ label: "All", values: [4] }]);
  });
  it("names program and user-type segments by their labels, in the chart and the CSV", () => {
    const byProgram = [{ date: "2026-12-01", value: 3, segments: { none: 1, "p-1": 2 } }];
    const labels = { none: "No program", "p-1": "Couch to 5K" };
    expect(toColumns(byProgram, { labels }).series.map((s) => s.label)).toEqual(["No program", "Couch to 5K"]);
    expect(toCsv("interactions", byProgram, labels)).toBe("bucket,interactions,interactions_No program,interactions_Couch to 5K\n2026-12-01,3,1,2\n");
  });
  it("reads hour, day and month buckets as UTC", () => {
    expect(bucketSeconds("2026-12-01T13")).toBe(Date.parse("2026-12-01T13:00:00Z") / 1000);
    expect(bucketSeconds("2026-12")).toBe(Date.parse("2026-12-01T00:00:00Z") / 1000);
  });
  it("exports CSV with a column per channel, quoting what needs it", () => {
    expect(toCsv("conversations", data)).toBe("bucket,conversations,conversations_telegram,conversations_widget\n2026-12-01,3,1,2\n2026-12-02,1,,1\n");
    expect(toCsv("x", [{ date: "a,b", value: null }])).toBe('bucket,x\n"a,b",\n');
  });
});

describe("knowledge gaps in words", async () => {
  const { trendText, reasonsText } = await import("../../src/console/analytics/gaps-text");
  it("says the trend against the period before", () => {
    expect(trendText({ trend: "new", change_rate: null })).toBe("new this period");
    expect(trendText({ trend: "increasing", change_rate: 3 })).toBe("up 300 % on the period before");
    expect(trendText({ trend: "decreasing", change_rate: -0.5 })).toBe("down 50 % on the period before");
    expect(trendText({ trend: "stable", change_rate: 0.01 })).toBe("about as often as before");
  });
  it("says why the questions count, leaving out what is zero", () => {
    expect(reasonsText({ fallback: 3, handover: 1, low_rating: 0 })).toBe("3 unanswered, 1 handover");
    expect(reasonsText({ fallback: 0, handover: 2, low_rating: 1 })).toBe("2 handovers, 1 low rating");
  });
});

describe("conversation socket reconnects", async () => {
  const { shouldReconnect } = await import("../../src/console/inbox/inbox-events");
  it("reconnects after a drop, not after leaving or a refusal (signed out, removed)", () => {
    expect([1006, 1001, 1011, 4000].map(shouldReconnect)).toEqual([true, true, true, true]);
    expect([1000, 4401, 4403, 4404].map(shouldReconnect)).toEqual([false, false, false, false]);
  });
});

describe("client memory values", async () => {
  const { parseValue, showValue } = await import("../../src/console/inbox/memory-value");
  it("keeps text as text and JSON as JSON, both ways", () => {
    expect(parseValue("run a 5K")).toBe("run a 5K");
    expect(parseValue('{"km": 5}')).toEqual({ km: 5 });
    expect(parseValue("42")).toBe(42);
    expect(showValue({ km: 5 })).toBe('{"km":5}');
    expect(showValue("left knee")).toBe("left knee");
  });
});
