import { APIRequestContext, expect, Page, test } from "@playwright/test";

// A platform rendered on its server and hydrated (examples/ssr-host), with
// server functions of its own: the panel runs inside it without taking its
// calls, renews its session through the platform's own server function, and
// ends when the platform says.

const ssrHost = () => process.env.SSR_HOST_URL!;
const keyHeaders = () => ({ authorization: `Bearer ${process.env.HOST_API_KEY!}` });

async function application(request: APIRequestContext, title: string) {
  const email = `ssr-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
  expect((await request.post("/api/integration/candidates", { headers: keyHeaders(), data: { email, name: "Ada" } })).status()).toBe(200);
  const made = await request.post("/api/integration/applications", {
    headers: keyHeaders(),
    data: { candidateEmail: email, title, cameraInterval: 2, screenInterval: 2 },
  });
  expect(made.status()).toBe(200);
  return (await made.json()).id as string;
}

async function stored(request: APIRequestContext, application: string) {
  const answer = await request.post("/api/monitoring/images", { headers: keyHeaders(), data: { applicationId: application } });
  expect(answer.status()).toBe(200);
  const body = (await answer.json()) as { camera: { s3Key: string }[]; screen: { s3Key: string }[] };
  return [...body.camera, ...body.screen].map((image) => image.s3Key);
}

async function count(page: Page, kind: "camera" | "screen", what: "captured" | "uploaded") {
  return Number(await page.locator(`.${kind}-count`).getAttribute(`data-${what}`));
}

/** The platform's own server function, answered by the platform's server. */
async function saveNote(page: Page, expected: number) {
  await page.locator(".platform-save-note").click();
  await expect(page.locator(".platform-note")).toContainText(`Acme's server saved note ${expected}`);
}

/** The bearer token the panel's next request to interview-monitor carries
 * (a session from fetch_token alone is not kept in the tab). */
async function sessionToken(page: Page, not?: string) {
  const request = await page.waitForRequest(
    (r) => r.url().includes("/api/monitoring/") && (r.headers()["authorization"] ?? "").startsWith("Bearer ") &&
      r.headers()["authorization"] !== `Bearer ${not}`,
    { timeout: 20_000 },
  );
  return request.headers()["authorization"].slice("Bearer ".length);
}

test("an SSR + hydrate platform embeds the panel; its own server functions, renewal and end() work", async ({ page, request }) => {
  test.setTimeout(120_000);
  const id = await application(request, "SSR platform interview");

  // Rendered on the platform's server: its own heading, the panel waiting for the browser.
  const html = await (await request.get(`${ssrHost()}/interview/${id}`)).text();
  expect(html).toContain("Acme Careers · your interview");
  expect(html).toContain("Connecting to the interview");

  await page.goto(`${ssrHost()}/interview/${id}`);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await saveNote(page, 1); // before the interview

  await expect(page.getByRole("heading", { name: "Before you start" })).toBeVisible();
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  await page.getByRole("button", { name: "Share screen" }).click();
  await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);
  await expect(page.locator(".platform-events")).toContainText("consented");
  await expect(page.locator(".platform-events")).toContainText("started");
  await expect.poll(() => count(page, "camera", "uploaded"), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.locator(".platform-events")).toContainText("stored camera");
  await saveNote(page, 2); // during

  // The session ends under the panel (signed out with its own token, as when it
  // expires): the panel renews it through the platform's server function.
  const first = await sessionToken(page);
  expect(first).toBeTruthy();
  expect((await request.post("/api/auth/logout", { headers: { authorization: `Bearer ${first}` }, data: {} })).status()).toBe(200);
  await expect(page.locator(".platform-events")).toContainText("session renewed", { timeout: 20_000 });
  const second = await sessionToken(page, first);
  expect(second).toBeTruthy();
  expect(second).not.toBe(first);
  const afterRenewal = await count(page, "camera", "uploaded");
  await expect.poll(() => count(page, "camera", "uploaded"), { timeout: 20_000 }).toBeGreaterThan(afterRenewal);
  await expect(page.locator(".signed-out")).toHaveCount(0);

  // end(): capture stops, the queue is flushed, the session closes on the server.
  const ended = page.waitForResponse((r) => r.url().endsWith("/api/monitoring/session/end"));
  await page.locator(".platform-finish").click();
  expect((await ended).status()).toBe(200);
  await expect(page.locator(".monitoring-panel[data-phase=ended]")).toHaveCount(1);
  await expect(page.locator(".platform-events")).toContainText("ended waiting=0 closed=true");
  await expect(page.locator(".interview-ended")).toBeVisible();
  const taken = (await count(page, "camera", "captured")) + (await count(page, "screen", "captured"));
  const uploaded = (await count(page, "camera", "uploaded")) + (await count(page, "screen", "uploaded"));
  expect(uploaded).toBe(taken); // flushed
  const keys = await stored(request, id);
  expect(new Set(keys).size).toBe(keys.length); // none twice
  expect(keys.length).toBe(taken); // none lost across the renewal
  // The server kept the end: ending again answers the first end.
  const started = (await page.locator(".platform-events li", { hasText: "started" }).first().innerText()).split(" ")[1];
  const again = await request.post("/api/monitoring/session/end", {
    headers: { authorization: `Bearer ${second}` },
    data: { applicationId: id, sessionId: started },
  });
  expect(again.status()).toBe(200);
  // Nothing is captured after it.
  await page.waitForTimeout(5_000);
  expect((await count(page, "camera", "captured")) + (await count(page, "screen", "captured"))).toBe(taken);
  expect((await stored(request, id)).length).toBe(taken);
  await saveNote(page, 3); // after
  console.log(`SSR host: ${taken} captures, all stored once across a renewed session; end() closed the session`);
});
