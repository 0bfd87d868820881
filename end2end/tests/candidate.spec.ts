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
