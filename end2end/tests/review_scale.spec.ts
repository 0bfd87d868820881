import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { demoAccount, gotoHydrated, signIn } from "./helpers";

// Applications only this file uses (scripts/test.sh makes them), and a second
// server instance over the same database and store (SECOND_URL).
const replayApplication = () => process.env.REPLAY_APPLICATION_ID!;
const liveApplication = () => process.env.LIVE_APPLICATION_ID!;
const second = () => process.env.SECOND_URL!;

async function consentAndStart(request: APIRequestContext, application: string, base = "") {
  const consent = await request.post(`${base}/api/monitoring/consent`, { data: { applicationId: application, consentVersion: "2026-11-25" } });
  expect(consent.status()).toBe(200);
  const session = await request.post(`${base}/api/monitoring/session/start`, { data: { applicationId: application, cameraInterval: 1, screenInterval: 1 } });
  expect(session.status()).toBe(200);
}

/**
 * `count` numbered frames of each kind spread evenly from the application's
 * creation to now (captures may not be older than their application), uploaded
 * 8 at a time; the first capture's time and the step between captures.
 */
async function uploadFrames(page: Page, application: string, count: number) {
  const created = Date.parse((await (await page.request.post("/api/applications/get", { data: { applicationId: application } })).json()).createdAt);
  return page.evaluate(
    async ({ application, count, created }) => {
      const start = created + 1_000;
      const step = Math.max(2, Math.floor((Date.now() - 2_000 - start) / count));
      const jpeg = async (kind: string, n: number) => {
        const canvas = document.createElement("canvas");
        canvas.width = 160;
        canvas.height = 100;
        const ctx = canvas.getContext("2d")!;
        ctx.fillStyle = kind === "camera" ? "#2856c8" : "#1d8a5a";
        ctx.fillRect(0, 0, 160, 100);
        ctx.fillStyle = "white";
        ctx.font = "bold 40px sans-serif";
        ctx.fillText(`${n}`, 20, 70);
        return new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/jpeg", 0.7));
      };
      const jobs: (() => Promise<void>)[] = [];
      for (let n = 0; n < count; n++) {
        for (const kind of ["camera", "screen"]) {
          jobs.push(async () => {
            const at = new Date(start + n * step + (kind === "screen" ? 1 : 0)).toISOString();
            const response = await fetch(`/api/monitoring/upload-binary?applicationId=${application}&imageType=${kind}&capturedAt=${at}`, {
              method: "POST",
              body: await jpeg(kind, n),
              headers: { "content-type": "image/jpeg" },
            });
            if (!response.ok) throw new Error(`upload ${response.status}: ${await response.text()}`);
          });
        }
      }
      const workers = Array.from({ length: 8 }, async () => {
        for (let job = jobs.shift(); job; job = jobs.shift()) await job();
      });
      await Promise.all(workers);
      return { start, step };
    },
    { application, count, created },
  );
}

const head = (page: Page) => page.locator(".replay").getAttribute("data-head").then(Number);

test("a recruiter replays an interview, jumps to a flag, gives a verdict the candidate reads in the trail", async ({ page, browser }, testInfo) => {
  test.setTimeout(300_000);
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  await consentAndStart(page.request, replayApplication());
  // 1,000 frames of each kind.
  const { start, step } = await uploadFrames(page, replayApplication(), 1000);
  const flagAt = new Date(start + 600 * step).toISOString();
  const events = await page.request.post("/api/monitoring/events", {
    data: { applicationId: replayApplication(), events: [{ eventId: crypto.randomUUID(), kind: "tab_hidden", at: flagAt, endedAt: new Date(start + 620 * step).toISOString() }] },
  });
  expect(events.status()).toBe(200);

  const recruiter = await browser.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await gotoHydrated(recruiter, `/applications/${replayApplication()}/review`);
  await expect(recruiter.locator(".timeline.camera .image").first()).toBeVisible();

  // Time to the first frame, from the click.
  const clicked = Date.now();
  await recruiter.getByRole("button", { name: "Replay the interview" }).click();
  const firstFrame = recruiter.locator(".replay-camera img");
  await expect(firstFrame).toBeVisible();
  await expect.poll(() => firstFrame.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const firstFrameMs = Date.now() - clicked;
  console.log(`replay of 2,000 images: first frame ${firstFrameMs} ms after the click`);
  testInfo.annotations.push({ type: "replay first frame (ms)", description: String(firstFrameMs) });

  // Plays: the head moves, and the frames follow it (the screen's first comes just after the camera's).
  const startHead = await head(recruiter);
  await recruiter.locator(".replay .speed").selectOption("16");
  await recruiter.getByRole("button", { name: "Play" }).click();
  await expect.poll(() => head(recruiter)).toBeGreaterThan(startHead + 20 * step);
  await expect(recruiter.locator(".replay-screen img")).toBeVisible();
  const shownKey = await firstFrame.getAttribute("src");
  await expect.poll(() => firstFrame.getAttribute("src")).not.toBe(shownKey);
  await recruiter.getByRole("button", { name: "Pause" }).click();

  // A mark jumps to its flag, whose verdict controls appear under the head.
  const mark = recruiter.locator(".replay .mark.kind-tab_hidden");
  await expect(mark).toHaveCount(1);
  await mark.click();
  expect(await head(recruiter)).toBe(Date.parse(flagAt));
  const now = recruiter.locator(".replay .flag-now");
  await expect(now).toContainText("tab");
  await now.locator(".verdict-note").fill("left for a minute; said so");
  await now.getByRole("button", { name: "Concern" }).click();
  await expect(recruiter.locator(".replay .flag-now .reviewed")).toHaveAttribute("data-verdict", "concern");

  // Keyboard: End reaches the end, Home the start, space plays to the end.
  await recruiter.locator(".replay").focus();
  await recruiter.keyboard.press("End");
  const end = await head(recruiter);
  expect(end).toBeGreaterThan(Date.parse(flagAt));
  await recruiter.keyboard.press("ArrowLeft");
  expect(await head(recruiter)).toBe(Math.max(end - 5_000, start));
  await recruiter.keyboard.press(" ");
  await expect(recruiter.locator(".replay")).toHaveAttribute("data-playing", "false", { timeout: 15_000 });
  expect(await head(recruiter)).toBe(end);
  await recruiter.keyboard.press("Home");
  expect(await head(recruiter)).toBeLessThanOrEqual(start);
  await recruiter.screenshot({ path: testInfo.outputPath("replay.png"), fullPage: true });

  // The candidate reads that a recruiter reviewed a flag; not the verdict, not the note.
  await gotoHydrated(page, `/applications/${replayApplication()}/review`);
  const review = page.locator('.audit-trail tr[data-action="review"]');
  await expect(review).toHaveCount(1);
  await expect(review.locator(".actor")).toHaveText("a recruiter of Demo Hiring Co.");
  await expect(review).not.toContainText("concern");
  await expect(page.locator(".audit-trail")).not.toContainText("said so");

  // Search finds it among the flagged ones; the CSV has the same applications.
  await gotoHydrated(recruiter, "/search?eventKind=tab_hidden");
  await expect(recruiter.locator(`tr[data-application-id="${replayApplication()}"]`)).toBeVisible();
  const level = (await (await recruiter.request.post("/api/applications/get", { data: { applicationId: replayApplication() } })).json()).integrityLevel;
  await recruiter.locator(".search-form select[name=level]").selectOption(level);
  await recruiter.getByRole("button", { name: "Search" }).click();
  await expect(recruiter).toHaveURL(new RegExp(`level=${level}`));
  const api = await recruiter.request.post("/api/applications/search", { data: { eventKind: "tab_hidden", level, limit: 500 } });
  const found: string[] = (await api.json()).applications.map((a: { id: string }) => a.id);
  expect(found).toContain(replayApplication());
  const rows = await recruiter.locator("table.applications tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-application-id")));
  expect(rows.sort()).toEqual([...found].sort());
  const href = await recruiter.locator(".download-report").getAttribute("href");
  const csv = await (await recruiter.request.get(href!)).text();
  const csvIds = csv.trim().split("\n").slice(1).map((line) => line.split(",")[0]);
  expect(csvIds).toEqual(found);
});

test("the live grid shows a new frame and a new flag from another instance, and only to its organization", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  // The recruiter watches on the second instance.
  const recruiter = await browser.newPage({ baseURL: second() });
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await gotoHydrated(recruiter, "/live");
  await expect(recruiter.locator(".live-status")).toHaveText("Live");
  const other = await browser.newPage({ baseURL: second() });
  await signIn(other, { email: process.env.OTHER_RECRUITER_EMAIL!, password: process.env.OTHER_RECRUITER_PASSWORD! });
  await expect(other).toHaveURL(/\/applications$/);
  await gotoHydrated(other, "/live");
  await expect(other.locator(".live-status")).toHaveText("Live");

  // The candidate uploads through the first.
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  await consentAndStart(page.request, liveApplication());
  const uploaded = Date.now();
  const upload = await page.request.post(`/api/monitoring/upload-binary?applicationId=${liveApplication()}&imageType=camera`, {
    headers: { "content-type": "image/jpeg" },
    data: await jpegOf(page),
  });
  expect(upload.status()).toBe(200);
  const key = (await upload.json()).s3Key;
  const tile = recruiter.locator(`.live-tile[data-application-id="${liveApplication()}"]`);
  await expect(tile.locator(`img.live-camera[data-key="${key}"]`)).toBeVisible({ timeout: 5_000 });
  console.log(`live grid: frame shown ${Date.now() - uploaded} ms after its upload`);

  const flag = await page.request.post("/api/monitoring/events", {
    data: { applicationId: liveApplication(), events: [{ eventId: crypto.randomUUID(), kind: "paste", at: new Date().toISOString() }] },
  });
  expect(flag.status()).toBe(200);
  await expect(tile).toHaveAttribute("data-flags", "1", { timeout: 5_000 });
  await recruiter.screenshot({ path: testInfo.outputPath("live.png"), fullPage: true });

  // Another organization's recruiter never sees the tile.
  await expect(other.locator(`.live-tile[data-application-id="${liveApplication()}"]`)).toHaveCount(0);
  // A candidate is refused.
  expect((await page.request.get("/api/monitoring/live")).status()).toBe(403);

  // A tile opens the replay at "now": the last frame.
  await tile.click();
  await expect(recruiter).toHaveURL(new RegExp(`/applications/${liveApplication()}/review\\?at=now`));
  await expect(recruiter.locator(`.replay-camera[data-key="${key}"] img`)).toBeVisible();
});

/** A small real JPEG made by the browser. */
async function jpegOf(page: Page): Promise<Buffer> {
  const bytes: number[] = await page.evaluate(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    canvas.getContext("2d")!.fillRect(0, 0, 64, 48);
    const blob: Blob = await new Promise((resolve) => canvas.toBlob((b) => resolve(b!), "image/jpeg", 0.8));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}
