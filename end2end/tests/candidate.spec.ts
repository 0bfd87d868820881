import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { demoAccount, gotoHydrated, signIn } from "./helpers";

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
