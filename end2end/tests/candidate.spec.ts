import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { demoAccount, gotoHydrated, invite, signIn } from "./helpers";

// The candidate's side of a flag. An application of the demo candidate that only
// this file uses (scripts/test.sh makes it).
const application = () => process.env.RESPONSES_APPLICATION_ID!;

test("a candidate answers a flag, the reviewer reads it beside the flag, and the trail records it without the text", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  // A flag, as the panel sends it: the candidate left the window for 30 s.
  const consent = await page.request.post("/api/monitoring/consent", { data: { applicationId: application(), consentVersion: "2026-11-25" } });
  expect(consent.status()).toBe(200);
  // (No earlier than the application: the server refuses events before it.)
  const made = await page.request.post("/api/applications/get", { data: { applicationId: application() } });
  const created = Date.parse((await made.json()).createdAt);
  const flag = randomUUID();
  const sent = await page.request.post("/api/monitoring/events", {
    data: {
      applicationId: application(),
      events: [{ eventId: flag, kind: "window_blur", at: new Date(Math.max(created, Date.now() - 31_000)).toISOString(), endedAt: new Date().toISOString() }],
    },
  });
  expect(sent.status(), await sent.text()).toBe(200);

  // On their application page the candidate reads the flag and answers it.
  await gotoHydrated(page, `/applications/${application()}/review`);
  const mine = page.locator(`.event[data-event-id="${flag}"]`);
  await expect(mine).toContainText("Left the window");
  const words = "My password manager opened its own window; I closed it.";
  await mine.getByLabel(/Your response/).fill(words);
  await mine.getByRole("button", { name: "Send response" }).click();
  await expect(mine.getByRole("button", { name: "Update response" })).toBeVisible();
  await expect(mine.getByLabel(/Your response/)).toHaveValue(words);

  // The recruiter reads it beside the flag, and gives a verdict.
  const recruiterContext = await browser.newContext();
  const recruiter = await recruiterContext.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await gotoHydrated(recruiter, `/applications/${application()}/review`);
  const theirs = recruiter.locator(`.event[data-event-id="${flag}"]`);
  await expect(theirs.locator(".flag-response")).toContainText(words);
  await expect(theirs.locator(".flag-response")).toContainText("Candidate's response");
  await theirs.getByRole("button", { name: "OK" }).click();
  await expect(theirs.locator(".reviewed[data-verdict=ok]")).toBeVisible();
  // The candidate had seen the flag before the verdict: not marked.
  await expect(theirs.locator(".reviewed")).toHaveAttribute("data-before-candidate-saw", "false");
  await recruiterContext.close();

  // The verdict came after the response: it stands, no longer editable.
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await expect(mine.locator(".flag-response[data-locked=true]")).toContainText(words);
  await expect(mine).toContainText("can no longer change");
  await expect(mine.getByLabel(/Your response/)).toHaveCount(0);
  await expect(mine.locator(".reviewed")).toHaveCount(0); // candidates never read verdicts

  // The trail: the candidate responded, without the words.
  const trail = page.locator(".audit-trail");
  await expect(trail.locator(".audit-entry[data-action=respond]")).toHaveCount(1);
  await expect(trail.locator(".audit-entry[data-action=respond]")).toContainText("responded to a flag");
  await expect(trail).not.toContainText("password manager");
});

test("the interview speaks the browser's language, with a switch; consent records the language agreed to", async ({ browser }) => {
  test.setTimeout(90_000);
  const application = process.env.LANGUAGE_APPLICATION_ID!;
  const context = await browser.newContext({ locale: "de-DE" }); // Accept-Language: de-DE
  const page = await context.newPage();
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  await gotoHydrated(page, `/applications/${application}/interview?cameraInterval=3600&screenInterval=3600`);
  await expect(page.getByRole("heading", { name: "Bevor Sie beginnen" })).toBeVisible();
  await expect(page.locator(".consent .retention")).toContainText("90 Tage ab der Aufnahme");
  await expect(page.locator("[lang=de] .consent")).toHaveCount(1);
  await page.getByRole("button", { name: "Ich stimme zu, Überwachung starten" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Bildschirm teilen" })).toBeVisible();
  await expect(page.locator(".panel-announcer")).toContainText("Die Kamera ist an.");
  // The server recorded consent to the German text, not the English one.
  const terms = async (language: string) =>
    (await (await page.request.post("/api/monitoring/consent/terms", { data: { applicationId: application, language } })).json()).consentedAt;
  expect(await terms("de")).not.toBeNull();
  expect(await terms("en")).toBeNull();

  // The switch: English, whose text was not agreed to, asks again; the intervals stay.
  page.on("dialog", (dialog) => dialog.accept()); // "captures are still waiting", if one is
  await page.getByRole("link", { name: "English" }).click();
  await expect(page).toHaveURL(/lang=en/);
  await expect(page).toHaveURL(/cameraInterval=3600/);
  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
  await expect(page.getByRole("link", { name: "English" })).toHaveAttribute("aria-current", "true");
  // Back to German: agreed already, it resumes.
  await page.getByRole("link", { name: "Deutsch" }).click();
  await expect(page).toHaveURL(/lang=de/);
  await expect(page.locator(".monitoring-panel")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Ich stimme zu, Überwachung starten" })).toHaveCount(0);
  await context.close();
});

test("an interview with an ID check: the ID photo comes first, the reviewer compares it by eye, and it is kept a week", async ({ browser, request }) => {
  test.setTimeout(90_000);
  const { application, token } = await invite(request, "ID check", 2, true);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/capture/${token}`);
  await page.getByRole("button", { name: "Open the interview" }).click();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  // The consent text says what the ID photo is for and how long it is kept.
  await expect(page.locator(".consent .consent-id")).toContainText("deleted 7 days after the interview");
  await expect(page.locator(".consent .consent-id")).toContainText("nothing compares faces");
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  const panel = page.locator(".monitoring-panel");
  await expect(panel).toHaveAttribute("data-camera-live", "true");
  await expect(page.getByRole("heading", { name: "Show an ID document" })).toBeVisible();
  await expect(panel).toHaveAttribute("data-id-pending", "true");
  // No timed snapshot before the ID photo (every 2 s otherwise), nor by button.
  await page.waitForTimeout(4_500);
  expect(Number(await page.locator(".camera-count").getAttribute("data-captured"))).toBe(0);
  await expect(page.getByRole("button", { name: "Take camera snapshot" })).toBeDisabled();
  await page.getByRole("button", { name: "Take the ID photo" }).click();
  await expect(panel).toHaveAttribute("data-id-uploaded", "1");
  await expect(page.getByRole("heading", { name: "Show an ID document" })).toHaveCount(0);
  // Then monitoring runs as ever.
  await expect.poll(async () => Number(await page.locator(".camera-count").getAttribute("data-uploaded")), { timeout: 15_000 }).toBeGreaterThan(2);
  // A reload does not ask again: the ID photo is stored.
  page.on("dialog", (dialog) => dialog.accept());
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await expect(panel).toHaveAttribute("data-camera-live", "true");
  await expect(panel).toHaveAttribute("data-id-pending", "false");
  await context.close();

  // The reviewer sees the ID photo beside the first camera snapshots, with its period.
  const recruiterContext = await browser.newContext();
  const recruiter = await recruiterContext.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await gotoHydrated(recruiter, `/applications/${application}/review`);
  const check = recruiter.locator(".id-check");
  await expect(check.getByRole("heading", { name: "ID check" })).toBeVisible();
  await expect(check).toContainText("ID photos are deleted 7 days after the interview");
  await expect(check).toContainText("nothing compares faces automatically");
  await expect(check.locator(".id-photo img")).toHaveCount(1);
  await expect(check.locator(".first-camera img")).toHaveCount(3);
  // It loads (a signed URL of the id kind).
  await expect.poll(() => check.locator(".id-photo img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(check.locator(".id-photo")).toHaveAttribute("data-key", new RegExp(`^monitoring/${application}/id/\\d+-[0-9a-f-]{36}\\.jpg$`));
  await recruiterContext.close();
});

test("the candidate's application page speaks their language too, with a switch", async ({ browser }) => {
  test.setTimeout(60_000);
  const application = process.env.LANGUAGE_APPLICATION_ID!;
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  // Consent to the German text is in the trail (recorded once, whichever test records it first).
  const consent = await page.request.post("/api/monitoring/consent", { data: { applicationId: application, consentVersion: "2026-11-25", language: "de" } });
  expect(consent.status(), await consent.text()).toBe(200);
  await gotoHydrated(page, `/applications/${application}/review`);
  await expect(page.locator("[lang=de] .review")).toHaveCount(1);
  await expect(page.getByRole("heading", { name: "Wer diese Bilder gesehen hat" })).toBeVisible();
  await expect(page.getByRole("heading", { name: /^Ereignisse/ })).toBeVisible();
  await expect(page.locator(".retention")).toContainText("Tage nach der Aufnahme automatisch gelöscht");
  await expect(page.getByRole("button", { name: "Interview abspielen" })).toBeVisible();
  // The trail's actions too (consent was recorded for this application).
  await expect(page.locator(".audit-trail")).toContainText("hat der Überwachung zugestimmt");
  // The switch: English.
  await page.getByRole("link", { name: "English" }).click();
  await expect(page).toHaveURL(/lang=en/);
  await expect(page.getByRole("heading", { name: "Who saw these images" })).toBeVisible();
  await expect(page.locator("[lang=en] .review")).toHaveCount(1);
  // A reviewer's page stays in English whatever the browser asks for.
  const reviewer = await context.newPage();
  await context.clearCookies();
  await signIn(reviewer, demoAccount("recruiter"));
  await expect(reviewer).toHaveURL(/\/applications$/);
  await gotoHydrated(reviewer, `/applications/${application}/review`);
  await expect(reviewer.getByRole("heading", { name: "Who saw these images" })).toBeVisible();
  await expect(reviewer.locator(".language-switch")).toHaveCount(0);
  await context.close();
});
