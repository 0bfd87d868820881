import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { demoAccount, invite, keyHeaders, signIn } from "./helpers";

// A hiring platform (examples/host-app, on an origin of its own) runs an
// interview end to end: its server makes the candidate, the application and a
// capture link with its service key; the candidate's page on the platform's
// origin embeds the panel; the recruiter reviews on interview-monitor.

const host = () => process.env.HOST_URL!;
const refusedHost = () => process.env.REFUSED_HOST_URL!;

async function uploaded(page: Page, kind: "camera" | "screen") {
  return Number(await page.locator(`.${kind}-count`).getAttribute("data-uploaded"));
}

async function stored(request: APIRequestContext, application: string) {
  const answer = await request.post("/api/monitoring/images", { headers: keyHeaders(), data: { applicationId: application } });
  expect(answer.status()).toBe(200);
  return (await answer.json()) as { camera: unknown[]; screen: unknown[] };
}

test("a platform's own page embeds the panel: captures arrive and the recruiter reviews them", async ({ page, request, browser }) => {
  test.setTimeout(90_000);
  const { application, token } = await invite(request, "Embedded interview");

  await page.goto(`${host()}/interview?capture=${token}`);
  await expect(page.getByRole("heading", { name: "Acme Careers · your interview" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
  await expect(page.locator(".consent")).toContainText("every 2 seconds");
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await page.getByRole("button", { name: "Share screen" }).click();
  await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);
  await expect.poll(() => uploaded(page, "camera"), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  await expect.poll(() => uploaded(page, "screen"), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  const images = await stored(request, application);
  expect(images.camera.length).toBeGreaterThanOrEqual(2);
  expect(images.screen.length).toBeGreaterThanOrEqual(2);
  // The host hears of each stored capture.
  await expect.poll(async () => Number(await page.locator(".platform-stored").getAttribute("data-stored"))).toBeGreaterThanOrEqual(4);

  // A reload keeps the session (the link itself is used up by now), and the
  // consent given: the interview resumes without asking again.
  await page.reload();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await expect(page.getByRole("heading", { name: "Before you start" })).toHaveCount(0);
  await expect(page.locator(".embedded-error")).toHaveCount(0);

  // The recruiter reviews it on interview-monitor.
  const recruiterContext = await browser.newContext();
  const recruiter = await recruiterContext.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await recruiter.goto(`/applications/${application}/review`);
  await expect(recruiter.locator(".timeline.camera .image").first()).toBeVisible();
  await expect(recruiter.locator(".timeline.screen .image").first()).toBeVisible();
  await recruiterContext.close();
});

test("an embedded session that ends keeps every capture, and a new link uploads them", async ({ page, request }) => {
  test.setTimeout(120_000);
  const { application, token } = await invite(request, "Ended embedded session");
  await page.goto(`${host()}/interview?capture=${token}`);
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await expect.poll(() => uploaded(page, "camera"), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);

  // The session ends (signed out with its own token, as when it expires or is ended).
  const saved = await page.evaluate((t) => sessionStorage.getItem(`interview-monitor:capture:${t}`), token);
  const bearer = (JSON.parse(saved!) as { sessionToken: string }).sessionToken;
  expect((await request.post("/api/auth/logout", { headers: { authorization: `Bearer ${bearer}` }, data: {} })).status()).toBe(200);
  const notice = page.locator(".signed-out");
  await expect(notice).toBeVisible({ timeout: 20_000 });
  await expect(notice).toContainText("open a new interview link");
  await expect(notice.locator("a")).toHaveCount(0); // no sign-in page on the platform's origin
  await page.waitForTimeout(5_000); // captures go on, and wait
  const waiting = Number(await page.locator(".queued").getAttribute("data-queued"));
  expect(waiting).toBeGreaterThan(0);
  const before = await stored(request, application);

  // A reload finds the ended session and says what to do.
  page.on("dialog", (dialog) => dialog.accept()); // "captures are still waiting" on leaving
  await page.reload();
  await expect(page.locator(".embedded-error")).toContainText("open a new interview link", { ignoreCase: true });

  // The platform sends a new link: the kept captures upload, none twice.
  const link = await request.post("/api/integration/capture-links", { headers: keyHeaders(), data: { applicationId: application } });
  expect(link.status()).toBe(200);
  const fresh = ((await link.json()).url as string).split("/capture/")[1];
  await page.goto(`${host()}/interview?capture=${fresh}`);
  // The candidate consented on the first link: the new one resumes without asking.
  await expect(page.locator(".monitoring-panel")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "I agree, start monitoring" })).toHaveCount(0);
  const restored = page.locator(".restored");
  await expect(restored).toHaveCount(1, { timeout: 20_000 });
  const count = Number(await restored.getAttribute("data-restored"));
  expect(count).toBeGreaterThanOrEqual(waiting);
  await expect(restored).toHaveAttribute("data-restored-uploaded", String(count), { timeout: 30_000 });
  const after = await stored(request, application);
  const keys = [...after.camera, ...after.screen].map((image) => (image as { s3Key: string }).s3Key);
  expect(new Set(keys).size).toBe(keys.length);
  expect(after.camera.length + after.screen.length).toBeGreaterThanOrEqual(before.camera.length + before.screen.length + count);
  console.log(`an ended embedded session: ${count} captures kept and uploaded with a new link`);
});

test("the platform ends the interview: nothing is captured after end(), and every capture before it is stored", async ({ page, request }) => {
  test.setTimeout(90_000);
  const { application, token } = await invite(request, "Ended by the platform");
  await page.goto(`${host()}/interview?capture=${token}`);
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await expect.poll(() => uploaded(page, "camera"), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  await page.getByRole("button", { name: "Finish the interview" }).click();
  await expect(page.locator(".platform-ended")).toContainText("ended waiting=0 closed=true", { timeout: 40_000 });
  const taken = Number(await page.locator(".camera-count").getAttribute("data-captured"));
  expect(await uploaded(page, "camera")).toBe(taken);
  await page.waitForTimeout(5_000);
  expect(Number(await page.locator(".camera-count").getAttribute("data-captured"))).toBe(taken);
  const images = await stored(request, application);
  expect(images.camera.length).toBe(taken);
  await expect(page.getByRole("button", { name: "Finish the interview" })).toBeDisabled();
});

test("a page on an origin interview-monitor does not allow is refused, and the link stays unused", async ({ page, request }) => {
  const { token } = await invite(request, "Refused origin");
  await page.goto(`${refusedHost()}/interview?capture=${token}`);
  await expect(page.locator(".embedded-error")).toBeVisible();
  await expect(page.getByRole("button", { name: "I agree, start monitoring" })).toHaveCount(0);
  // The browser never sent the trade (its preflight was refused): the platform's own page still can.
  await page.goto(`${host()}/interview?capture=${token}`);
  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
});

test("a recruiter invites a candidate from the list; the link signs them in for that interview only, once", async ({ page, browser }) => {
  await signIn(page, demoAccount("recruiter"));
  await expect(page).toHaveURL(/\/applications$/);
  const email = `invited-${Date.now()}@example.test`;
  await page.getByText("Invite a candidate").click();
  await page.getByLabel("Candidate's email").fill(email);
  await page.getByLabel("Job title").fill("Invited interview");
  // Submitted twice at once (a double submit, or a retry whose answer was lost):
  // one application, by the form's Idempotency-Key.
  const made = page.waitForResponse((r) => r.url().endsWith("/api/integration/applications"));
  await page.locator("details.invite form").evaluate((form: HTMLFormElement) => {
    form.requestSubmit();
    form.requestSubmit();
  });
  expect((await made).request().headers()["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
  const link = page.locator("input.capture-link");
  await expect(link).toBeVisible();
  const url = await link.inputValue();
  expect(url).toContain("/capture/");
  // The list shows the new application at once, once.
  await expect(page.locator("tr", { hasText: email })).toHaveCount(1);
  await page.reload();
  await expect(page.locator("tr", { hasText: email })).toHaveCount(1);

  // The candidate, in a browser of their own, opens the link.
  const candidateContext = await browser.newContext();
  const candidate = await candidateContext.newPage();
  await candidate.goto(url);
  await candidate.getByRole("button", { name: "Open the interview" }).click();
  await expect(candidate).toHaveURL(/\/applications\/[0-9a-f-]+\/interview$/);
  await expect(candidate.getByRole("heading", { name: "Before you start" })).toBeVisible();
  await expect(candidate.getByRole("heading", { name: "Invited interview" })).toBeVisible();
  await candidate.goto("/applications");
  await expect(candidate.locator("tbody tr")).toHaveCount(1);
  // Used once: opening it again is refused.
  const again = await candidateContext.request.get(url);
  expect(again.status()).toBe(410);
  await candidateContext.close();
});

test("an admin makes a service key on the keys page, sees it once, and revokes it", async ({ page, request }) => {
  await signIn(page, demoAccount("admin"));
  await expect(page).toHaveURL(/\/applications$/);
  await page.getByRole("link", { name: "Service keys" }).click();
  await expect(page.getByRole("heading", { name: "Service keys" })).toBeVisible();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  const name = `ui-${Date.now()}`;
  await page.getByLabel("Organization (slug)").fill("demo");
  await page.getByLabel("Key name").fill(name);
  await page.getByRole("button", { name: "Create a key" }).click();
  const shown = page.locator("input.service-key");
  await expect(shown).toBeVisible();
  const key = await shown.inputValue();
  expect(key).toMatch(/^imk_/);
  const works = await request.post("/api/integration/applications/list", { headers: { authorization: `Bearer ${key}` }, data: {} });
  expect(works.status()).toBe(200);
  const row = page.locator(`tr[data-key-name="${name}"]`);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.locator(".revoked")).not.toHaveText("—");
  const refused = await request.post("/api/integration/applications/list", { headers: { authorization: `Bearer ${key}` }, data: {} });
  expect(refused.status()).toBe(401);
});

test("an admin adds a webhook endpoint, sees its secret once, reads its deliveries, rotates and deletes it", async ({ page, request }) => {
  await signIn(page, demoAccount("admin"));
  await expect(page).toHaveURL(/\/applications$/);
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  // The test server allows private addresses (WEBHOOK_ALLOW_PRIVATE=1): nothing listens on port 9.
  const url = `http://127.0.0.1:9/hooks-${Date.now()}`;
  await page.getByLabel("Organization (slug)").fill("demo");
  await page.getByLabel("Endpoint URL (https)").fill(url);
  await page.getByRole("button", { name: "Add an endpoint" }).click();
  const secret = page.getByLabel("Signing secret");
  await expect(secret).toHaveValue(/^whsec_/);
  const first = await secret.inputValue();
  const row = page.locator("tr[data-webhook-id]", { hasText: url });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("demo");
  // The secret is not listed anywhere.
  const listed = await page.request.post("/api/integration/webhooks/list", { data: {} });
  expect(await listed.text()).not.toContain("whsec_");
  await row.getByRole("button", { name: "Deliveries" }).click();
  await expect(page.getByRole("region", { name: "Deliveries" })).toBeVisible();
  await row.getByRole("button", { name: "Rotate secret" }).click();
  await expect(secret).not.toHaveValue(first);
  await expect(secret).toHaveValue(/^whsec_/);
  await row.getByRole("button", { name: "Delete" }).click();
  await expect(page.locator("tr[data-webhook-id]", { hasText: url })).toHaveCount(0);
});
