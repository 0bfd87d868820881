import { expect, Page, test } from "@playwright/test";
import { demoAccount, endTrack, gotoHydrated, signIn } from "./helpers";

// An application of the demo candidate that only this file uses (scripts/test.sh makes it).
const application = () => process.env.INTEGRITY_APPLICATION_ID!;

type Event = { eventId: string; kind: string; at: string; endedAt?: string; detail?: any; source: string; review?: any };

async function serverEvents(page: Page): Promise<{ events: Event[]; summary: any }> {
  const response = await page.request.post("/api/monitoring/events/list", { data: { applicationId: application() } });
  expect(response.status()).toBe(200);
  return response.json();
}

async function imageIds(page: Page): Promise<string[]> {
  const response = await page.request.post("/api/monitoring/images", { data: { applicationId: application() } });
  const list = await response.json();
  // monitoring/{application}/{kind}/{epochMillis}-{captureId}.jpg
  return [...list.camera, ...list.screen].map((i: { s3Key: string }) => i.s3Key.split("/").pop()!.replace(/^\d+-/, "").replace(/\.jpg$/, ""));
}

/** Makes the page look hidden (or visible again) and says so, as the browser does when another tab comes to the front. */
async function setHidden(page: Page, hidden: boolean) {
  await page.evaluate((hidden) => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

test("what the candidate does reaches the review timeline, with snapshots, a summary, a level and verdicts", async ({ page, browser, context }, testInfo) => {
  test.setTimeout(180_000);
  // What the browser reports of a share is driven here: the fake picker always shares a "monitor".
  await context.addInitScript(() => {
    const original = MediaStreamTrack.prototype.getSettings;
    MediaStreamTrack.prototype.getSettings = function () {
      const settings = original.call(this);
      const surface = (window as any).__fakeSurface ?? sessionStorage.getItem("fakeSurface");
      if (settings.displaySurface && surface) settings.displaySurface = surface;
      return settings;
    };
  });
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  await gotoHydrated(page, `/applications/${application()}/interview?cameraInterval=5&screenInterval=5`);
  // The consent text states the real retention and link lifetime.
  await expect(page.locator(".consent .retention")).toContainText("deleted automatically 90 days after they are taken");
  await expect(page.locator(".consent")).toContainText("expire after 1 hour");
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await page.getByRole("button", { name: "Share screen" }).click();
  await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);

  // Another tab comes to the front for a while, then this one again.
  const other = await context.newPage();
  await other.goto("/login");
  await other.bringToFront();
  await setHidden(page, true);
  await page.waitForTimeout(2_000);
  await page.bringToFront();
  await setHidden(page, false);
  await other.close();

  // The window loses focus (another program), then has it again.
  await page.evaluate(() => window.dispatchEvent(new Event("blur")));
  await page.waitForTimeout(1_500);
  await page.evaluate(() => window.dispatchEvent(new Event("focus")));

  // A paste into a text field of the page (a code editor, say): its length, never its text.
  await page.waitForTimeout(2_500); // the next snapshots are their own, not the focus's
  await page.evaluate(() => {
    const field = document.createElement("textarea");
    field.className = "scratch";
    document.body.appendChild(field);
    const data = new DataTransfer();
    data.setData("text/plain", "secret code 1234");
    field.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });

  // Sharing stops, then starts again, with a window instead of the screen.
  await endTrack(page, ".screen-preview");
  await expect(page.locator(".monitoring-panel[data-screen=ended]")).toHaveCount(1);
  await page.waitForTimeout(2_500);
  await page.evaluate(() => ((window as any).__fakeSurface = "window"));
  await page.getByRole("button", { name: "Share screen again" }).click();
  await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);

  // Everything reaches the server, with durations and linked snapshots.
  const byKind = async () => {
    const { events } = await serverEvents(page);
    return Object.fromEntries(events.map((e) => [e.kind, e]));
  };
  await expect
    .poll(async () => {
      const kinds = await byKind();
      return ["tab_hidden", "window_blur", "paste", "screen_share_ended", "screen_share_not_monitor"].filter(
        (k) => kinds[k] && (!["tab_hidden", "window_blur", "screen_share_ended"].includes(k) || kinds[k].endedAt),
      ).length;
    }, { timeout: 30_000 })
    .toBe(5);
  const kinds = await byKind();
  const seconds = (e: Event) => (Date.parse(e.endedAt!) - Date.parse(e.at)) / 1000;
  expect(seconds(kinds.tab_hidden)).toBeGreaterThanOrEqual(1.5);
  expect(seconds(kinds.window_blur)).toBeGreaterThanOrEqual(1);
  expect(seconds(kinds.screen_share_ended)).toBeGreaterThanOrEqual(1);
  expect(kinds.paste.detail.length).toBe("secret code 1234".length);
  expect(JSON.stringify(kinds.paste)).not.toContain("secret");
  expect(kinds.screen_share_not_monitor.detail.displaySurface).toBe("window");
  // Coming back to the tab, pasting and sharing again each took a camera and a screen snapshot, stored.
  for (const kind of ["tab_hidden", "paste", "screen_share_ended"]) {
    expect(kinds[kind].detail?.captureIds?.length, kind).toBe(2);
  }
  await expect
    .poll(async () => {
      const stored = await imageIds(page);
      return ["tab_hidden", "paste", "screen_share_ended"].flatMap((k) => kinds[k].detail.captureIds).filter((id: string) => stored.includes(id)).length;
    }, { timeout: 30_000 })
    .toBe(6);

  // A reload resumes the session: recorded as such.
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  // Consent to this text is recorded: the page resumes without asking again.
  await expect(page.locator(".monitoring-panel")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "I agree, start monitoring" })).toHaveCount(0);
  await expect.poll(async () => (await byKind()).page_reload !== undefined, { timeout: 20_000 }).toBe(true);
  await page.getByRole("link", { name: "interview-monitor" }).click(); // leaving stops monitoring

  // The recruiter's review: the summary, the level, the events on the timeline.
  const recruiter = await browser.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  const row = recruiter.locator(`tr[data-application-id="${application()}"]`);
  await expect(row.locator(".level")).toHaveAttribute("data-level", /some|major/);
  expect(Number(await row.locator(".unreviewed").getAttribute("data-unreviewed"))).toBeGreaterThanOrEqual(4);
  await gotoHydrated(recruiter, `/applications/${application()}/review`);
  const summary = recruiter.locator(".integrity-summary");
  await expect(summary).toContainText("A signal for a person, not a verdict");
  await expect(summary.locator(".tab-switches")).toHaveText("1");
  await expect(summary.locator(".pastes")).toContainText("1");
  await expect(summary.locator(".non-monitor")).toHaveText("1");
  // Chromium's fake camera shows no face: the server's analysis says so, as runs.
  await expect
    .poll(async () => {
      await recruiter.reload();
      await expect(recruiter.locator("body[data-hydrated=true]")).toHaveCount(1);
      return recruiter.locator(".event[data-kind=no_face]").count();
    }, { timeout: 30_000 })
    .toBeGreaterThanOrEqual(1);
  await expect(recruiter.locator(".event[data-kind=no_face]").first()).toContainText("snapshots");
  await expect(recruiter.locator(".timeline.camera .faces[data-faces='0']").first()).toHaveText("no face");
  await expect(summary.locator(".faces")).toBeVisible();
  const pasteRow = recruiter.locator(`.event[data-kind=paste]`);
  await expect(pasteRow).toHaveAttribute("data-linked", "2");
  await expect(pasteRow).toContainText("16 characters");
  await expect(recruiter.locator(".timeline.camera .marker.kind-tab_hidden").first()).toBeAttached();
  // Clicking a snapshot of the event opens it.
  await pasteRow.locator(".snapshot").first().click();
  await expect(recruiter.locator(".lightbox")).toHaveCount(1);
  await recruiter.keyboard.press("Escape");
  await expect(recruiter.locator(".around")).toBeVisible();
  await recruiter.screenshot({ path: testInfo.outputPath("review-with-events.png"), fullPage: true });

  // The reviewer marks the paste ok; it stays marked after a reload.
  await pasteRow.locator(".verdict-note").fill("pasted their own snippet, as agreed");
  await pasteRow.locator(".mark-ok").click();
  await expect(pasteRow.locator(".reviewed")).toHaveAttribute("data-verdict", "ok");
  await recruiter.reload();
  await expect(recruiter.locator("body[data-hydrated=true]")).toHaveCount(1);
  const marked = recruiter.locator(`.event[data-kind=paste] .reviewed`);
  await expect(marked).toHaveAttribute("data-verdict", "ok");
  await expect(marked).toContainText("pasted their own snippet");
  await expect(marked).toContainText(demoAccount("recruiter").email);

  // The candidate sees the events but no verdict and no control.
  await gotoHydrated(page, `/applications/${application()}/review`);
  await expect(page.locator(".event[data-kind=paste]")).toHaveCount(1);
  await expect(page.locator(".verdict-controls, .reviewed")).toHaveCount(0);
});
