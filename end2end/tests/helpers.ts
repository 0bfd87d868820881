import { APIRequestContext, expect, Page } from "@playwright/test";

/** A demo account printed by `interview-monitor demo` (scripts/test.sh passes them on). */
export function demoAccount(role: "recruiter" | "candidate" | "admin") {
  const email = process.env[`DEMO_${role.toUpperCase()}_EMAIL`];
  const password = process.env[`DEMO_${role.toUpperCase()}_PASSWORD`];
  if (!email || !password) throw new Error(`DEMO_${role.toUpperCase()}_EMAIL/PASSWORD are not set`);
  return { email, password };
}

/** Clicks before hydration are lost, so wait for the wasm to take over. */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

export async function signIn(page: Page, account: { email: string; password: string }) {
  await gotoHydrated(page, "/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Ends the video track shown in `selector` as the browser does when a device goes away or a share is stopped. */
export async function endTrack(page: Page, selector: string) {
  await page.evaluate((selector) => {
    const video = document.querySelector(selector) as HTMLVideoElement;
    const track = (video.srcObject as MediaStream).getVideoTracks()[0];
    track.stop();
    track.dispatchEvent(new Event("ended")); // stop() alone fires nothing; the browser fires this
  }, selector);
}

/**
 * The interview page asks for consent once per text: agrees when asked, else
 * (consent to this text already recorded) checks the panel started by itself.
 */
export async function agreeIfAsked(page: Page) {
  const agree = page.getByRole("button", { name: "I agree, start monitoring" });
  await expect(agree.or(page.locator(".monitoring-panel"))).toBeVisible();
  if (await agree.isVisible()) await agree.click();
}

/** The platform's service key (scripts/test.sh makes it), as request headers. */
export const keyHeaders = () => ({ authorization: `Bearer ${process.env.HOST_API_KEY!}` });

/**
 * What a platform's server does: a new candidate, their application of the demo
 * organization (`seconds` between snapshots) and a capture link: its token.
 */
export async function invite(request: APIRequestContext, title: string, seconds = 2, idCheck = false) {
  const email = `invited-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
  expect((await request.post("/api/integration/candidates", { headers: keyHeaders(), data: { email, name: "Grace" } })).status()).toBe(200);
  const made = await request.post("/api/integration/applications", {
    headers: keyHeaders(),
    data: { candidateEmail: email, title, cameraInterval: seconds, screenInterval: seconds, idCheck },
  });
  expect(made.status()).toBe(200);
  const application = (await made.json()).id as string;
  const link = await request.post("/api/integration/capture-links", { headers: keyHeaders(), data: { applicationId: application } });
  expect(link.status()).toBe(200);
  const url = (await link.json()).url as string;
  return { application, token: url.split("/capture/")[1] };
}
