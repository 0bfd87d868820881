import { BrowserContext, expect, Page, test } from "@playwright/test";
import { agreeIfAsked, demoAccount, endTrack, signIn } from "./helpers";

// The candidate's panel on a bad day: reloads, closed tabs, an ended session, a
// stalled connection, an unplugged camera. Nothing taken may be lost or stored twice.

const application = () => process.env.DEMO_APPLICATION_ID!;

async function serverKeys(page: Page) {
  const response = await page.request.post("/api/monitoring/images", { data: { applicationId: application() } });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { camera: { s3Key: string }[]; screen: { s3Key: string }[] };
  return [...body.camera, ...body.screen].map((image) => image.s3Key);
}

async function panelCounts(page: Page) {
  const read = async (kind: string, what: string) => Number(await page.locator(`.${kind}-count`).getAttribute(`data-${what}`));
  return {
    captured: (await read("camera", "captured")) + (await read("screen", "captured")),
    uploaded: (await read("camera", "uploaded")) + (await read("screen", "uploaded")),
    queued: Number(await page.locator(".queued").getAttribute("data-queued")),
  };
}

/** Opens the interview; `resume`: consent is recorded, so the page must not ask again. */
async function openPanel(page: Page, seconds: number, shareScreen: boolean, resume = false) {
  await page.goto(`/applications/${application()}/interview?cameraInterval=${seconds}&screenInterval=${seconds}`);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  if (resume) {
    await expect(page.locator(".monitoring-panel")).toHaveCount(1);
    await expect(page.getByRole("button", { name: "I agree, start monitoring" })).toHaveCount(0);
  } else {
    await agreeIfAsked(page);
  }
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  if (shareScreen) {
    await page.getByRole("button", { name: "Share screen" }).click();
    await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);
  }
}

/** Signs in, starts a 2-second interview, lets captures queue offline for 7 s. */
async function queueOffline(page: Page, context: BrowserContext) {
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  const before = await serverKeys(page);
  await openPanel(page, 2, true);
  await expect.poll(async () => (await panelCounts(page)).uploaded, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  await context.setOffline(true);
  await page.waitForTimeout(7_000);
  const left = await panelCounts(page);
  expect(left.queued).toBeGreaterThanOrEqual(4);
  // Taken = uploaded + waiting, but for a capture being written to IndexedDB this instant.
  expect(left.captured - left.uploaded - left.queued).toBeGreaterThanOrEqual(0);
  expect(left.captured - left.uploaded - left.queued).toBeLessThanOrEqual(2);
  return { before, left };
}

/** A stored image's capture id: the uuid (36 characters) its key ends with, before `.jpg`. */
const captureId = (s3Key: string) => s3Key.slice(-40, -4);

/** The ids of the captures the page keeps in IndexedDB for the application (the panel's store). */
async function keptIds(page: Page): Promise<string[]> {
  return page.evaluate(
    (app) =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open("interview-monitor");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const read = open.result.transaction("captures").objectStore("captures").getAll();
          read.onerror = () => reject(read.error);
          read.onsuccess = () => {
            open.result.close();
            resolve(read.result.filter((r) => r.kind && r.application === app).map((r) => r.id as string));
          };
        };
      }),
    application(),
  );
}

/**
 * What was taken before leaving, by capture id: on the server (acknowledged,
 * or stored with its answer lost as the network went) or kept in IndexedDB.
 * Read just before the page goes, while offline (the API is asked from outside
 * the browser, which offline mode does not touch).
 */
async function takenBeforeLeaving(page: Page, before: string[], left: { captured: number; uploaded: number }) {
  const kept = await keptIds(page);
  const known = new Set(before.map(captureId));
  const stored = (await serverKeys(page)).map(captureId).filter((id) => !known.has(id));
  const taken = new Set([...stored, ...kept]);
  expect(kept.length).toBeGreaterThanOrEqual(4);
  // Every capture counted as taken is stored or kept, but for one being written this instant.
  expect(taken.size).toBeGreaterThanOrEqual(left.captured - 2);
  // Stored and still kept: a capture whose answer was lost (never counted
  // uploaded), or one acknowledged whose record was not deleted. The second
  // is harmless (sent again, stored once) but should not happen: reported
  // here, to tell the two apart in CI's output.
  const both = stored.filter((id) => kept.includes(id)).length;
  const acknowledgedYetKept = both - (stored.length - left.uploaded);
  if (acknowledgedYetKept > 0) {
    console.log(`acknowledged yet still kept in IndexedDB: ${acknowledgedYetKept} (stored ${stored.length}, uploaded ${left.uploaded}, kept ${kept.length})`);
  }
  return { kept, taken };
}

/**
 * Back online on a fresh page load with hour-long intervals: only the restored
 * captures upload, at once: consent to this text is recorded, so nothing asks again.
 * Each capture taken is then on the server once, counted by id: a kept
 * capture the server already had (stored as the network went, its answer
 * lost; or acknowledged while its record was still kept) is sent again and
 * stored once.
 */
async function resumeAndCheck(page: Page, context: BrowserContext, before: string[], left: { queued: number }, was: { kept: string[]; taken: Set<string> }) {
  await context.setOffline(false);
  await openPanel(page, 3600, false, true);
  const notice = page.locator(".restored");
  await expect(notice).toHaveCount(1);
  // A capture may have been written between reading the counts (or the kept
  // ids) and leaving.
  const restored = Number(await notice.getAttribute("data-restored"));
  expect(restored).toBeGreaterThanOrEqual(Math.max(left.queued, was.kept.length));
  expect(restored).toBeLessThanOrEqual(was.kept.length + 2);
  // Within 45 s: Chromium, back from offline, can leave the first request
  // hanging; the panel abandons it after its 30 s timeout and sends it again.
  await expect(notice).toHaveAttribute("data-restored-uploaded", String(restored), { timeout: 45_000 });
  await expect(notice).toContainText(`${restored} captures from your last visit uploaded`);
  const after = await serverKeys(page);
  expect(new Set(after.map(captureId)).size).toBe(after.length); // none twice, under any time
  const known = new Set(before.map(captureId));
  const added = after.map(captureId).filter((id) => !known.has(id));
  const missing = [...was.taken].filter((id) => !added.includes(id));
  expect(missing, "captures taken before leaving and not on the server").toEqual([]);
  // Besides those: only what was written as the page went, restored but not yet read.
  expect(added.length - was.taken.size).toBe(restored - was.kept.length);
  console.log(`captures kept across leaving the page: ${restored} of ${restored} (${was.taken.size - was.kept.length} more stored before leaving)`);
}

test("a reload while offline loses no capture and stores none twice", async ({ page, context }) => {
  test.setTimeout(120_000);
  const { before, left } = await queueOffline(page, context);
  const was = await takenBeforeLeaving(page, before, left);
  page.on("dialog", (dialog) => dialog.accept()); // "captures are still waiting" on leaving
  await page.reload().catch(() => {}); // offline: the reload itself fails
  // The reload may be reported failed before the browser's error page replaces the
  // panel; back online before that, the old page would upload some captures itself.
  await expect(page.locator(".monitoring-panel")).toHaveCount(0, { timeout: 10_000 });
  await resumeAndCheck(page, context, before, left, was);
});

test("a closed tab leaves its captures for the next visit", async ({ page, context }) => {
  test.setTimeout(120_000);
  const { before, left } = await queueOffline(page, context);
  const was = await takenBeforeLeaving(page, before, left);
  await page.close({ runBeforeUnload: false });
  const next = await context.newPage();
  await resumeAndCheck(next, context, before, left, was);
});

test("leaving with captures waiting asks first", async ({ page, context }) => {
  test.setTimeout(60_000);
  await queueOffline(page, context);
  let asked = "";
  page.on("dialog", async (dialog) => {
    asked = dialog.type();
    await dialog.dismiss(); // stay
  });
  await page.goto("about:blank").catch(() => {});
  expect(asked).toBe("beforeunload");
  await expect(page.locator(".monitoring-panel")).toHaveCount(1);
});

test("an ended session pauses uploads until the candidate signs in again, and nothing is lost", async ({ page, context }) => {
  test.setTimeout(120_000);
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  const before = await serverKeys(page);
  await openPanel(page, 2, true);
  await expect.poll(async () => (await panelCounts(page)).uploaded, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);

  // Signed out elsewhere (another tab): the session ends on the server.
  const other = await context.newPage();
  expect((await other.request.post("/api/auth/logout", { data: {} })).status()).toBe(200);
  await expect(page.locator(".signed-out")).toBeVisible({ timeout: 20_000 });
  const paused = await panelCounts(page);
  await page.waitForTimeout(5_000);
  const later = await panelCounts(page);
  expect(later.captured).toBeGreaterThan(paused.captured); // captures go on
  expect(later.queued).toBeGreaterThan(0); // and wait
  await expect(page.locator(".upload-error")).not.toContainText("refused");

  await signIn(other, demoAccount("candidate"));
  await expect(other).toHaveURL(/\/applications$/);
  await expect(page.locator(".signed-out")).toHaveCount(0, { timeout: 20_000 });
  // Every capture taken, during the pause too, is uploaded.
  await expect.poll(async () => {
    const counts = await panelCounts(page);
    return counts.captured - counts.uploaded;
  }, { timeout: 30_000 }).toBe(0);
  const done = await panelCounts(page);
  await page.getByRole("link", { name: "interview-monitor" }).click(); // stop capturing
  const after = await serverKeys(other);
  expect(new Set(after).size).toBe(after.length);
  expect(after.length - before.length).toBeGreaterThanOrEqual(done.captured);
});

test("a stalled upload holds the queue no longer than its timeout", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  let stalled = 0;
  await page.route("**/api/monitoring/upload-binary*", async (route) => {
    if (stalled === 0) {
      stalled = Date.now();
      return; // never answered
    }
    await route.continue();
  });
  await openPanel(page, 2, false);
  await expect.poll(() => stalled, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await panelCounts(page)).uploaded, { timeout: 45_000 }).toBeGreaterThanOrEqual(1);
  const waited = (Date.now() - stalled) / 1000;
  console.log(`a stalled upload held the queue for ${waited.toFixed(1)} s (timeout 30 s)`);
  expect(waited).toBeLessThan(40);
  await expect.poll(async () => (await panelCounts(page)).queued, { timeout: 20_000 }).toBeLessThanOrEqual(1);
});

test("a camera that goes away is shown as disconnected and sends no frames", async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  await openPanel(page, 1, false);
  await expect.poll(async () => Number(await page.locator(".camera-count").getAttribute("data-captured"))).toBeGreaterThanOrEqual(1);
  await endTrack(page, "video.camera-preview"); // the camera is unplugged
  await expect(page.locator(".camera-error")).toContainText("Camera disconnected");
  await expect(page.locator(".monitoring-panel[data-camera-live=false]")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Take camera snapshot" })).toBeDisabled();
  const taken = Number(await page.locator(".camera-count").getAttribute("data-captured"));
  await page.waitForTimeout(3_500);
  expect(Number(await page.locator(".camera-count").getAttribute("data-captured"))).toBe(taken);
  await page.getByRole("button", { name: "Try the camera again" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await expect.poll(async () => Number(await page.locator(".camera-count").getAttribute("data-captured"))).toBeGreaterThan(taken);
});
