import { expect, Page, test } from "@playwright/test";
import { demoAccount, gotoHydrated, signIn } from "./helpers";

// An application of the demo candidate that only this file uploads to (scripts/test.sh makes it).
const application = () => process.env.REVIEW_APPLICATION_ID!;

/**
 * Real JPEGs made in the page (numbered canvases), uploaded as the signed-in user in a
 * monitoring session of 1 s (camera) and 3 s (screen) intervals: camera and screen
 * interleaved, `pause` ms of silence in the middle, so the server finds one gap of each.
 */
async function uploadNumbered(page: Page, count: { camera: number; screen: number }, pause: number) {
  const consent = await page.request.post("/api/monitoring/consent", { data: { applicationId: application(), consentVersion: "2026-11-25" } });
  expect(consent.status()).toBe(200);
  const session = await page.request.post("/api/monitoring/session/start", { data: { applicationId: application(), cameraInterval: 1, screenInterval: 3 } });
  expect(session.status()).toBe(200);
  return page.evaluate(
    async ({ application, count, pause }) => {
      const keys: { camera: string[]; screen: string[] } = { camera: [], screen: [] };
      const upload = async (kind: "camera" | "screen", n: number) => {
        const canvas = document.createElement("canvas");
        canvas.width = 320;
        canvas.height = 200;
        const ctx = canvas.getContext("2d")!;
        ctx.fillStyle = kind === "camera" ? "#2856c8" : "#1d8a5a";
        ctx.fillRect(0, 0, 320, 200);
        ctx.fillStyle = "white";
        ctx.font = "bold 64px sans-serif";
        ctx.fillText(`${kind[0].toUpperCase()}${n + 1}`, 40, 130);
        const blob: Blob = await new Promise((resolve) => canvas.toBlob((b) => resolve(b!), "image/jpeg", 0.8));
        const response = await fetch(`/api/monitoring/upload-binary?applicationId=${application}&imageType=${kind}`, {
          method: "POST",
          body: blob,
          headers: { "content-type": "image/jpeg" },
        });
        if (!response.ok) throw new Error(`upload ${response.status}: ${await response.text()}`);
        keys[kind].push((await response.json()).s3Key);
      };
      const screenEvery = Math.floor(count.camera / count.screen);
      for (let n = 0; n < count.camera; n++) {
        if (n === count.camera / 2) await new Promise((resolve) => setTimeout(resolve, pause));
        await upload("camera", n);
        if (n % screenEvery === 0) await upload("screen", n / screenEvery);
      }
      return keys;
    },
    { application: application(), count, pause },
  );
}

test("a recruiter reviews, opens and deletes the candidate's images; others are refused", async ({ page, browser }, testInfo) => {
  test.setTimeout(180_000);
  // The candidate's images, uploaded through the API.
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  const { camera, screen } = await uploadNumbered(page, { camera: 60, screen: 6 }, 8_000);

  // A candidate sees their images read-only.
  await gotoHydrated(page, `/applications/${application()}/review`);
  await expect(page.locator(".timeline.camera .image").first()).toBeVisible();
  await expect(page.locator(".select, .delete-selected, .delete-one")).toHaveCount(0);

  // The recruiter's review page, counting image requests.
  const recruiter = await browser.newPage();
  const mediaRequests: string[] = [];
  recruiter.on("request", (request) => {
    if (request.resourceType() === "image") mediaRequests.push(request.url());
  });
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  const row = recruiter.locator(`tr[data-application-id="${application()}"]`);
  await expect(row.locator(".camera-images")).not.toHaveText("0");
  await row.getByRole("link", { name: "Review test" }).click();
  await expect(recruiter).toHaveURL(new RegExp(`/applications/${application()}/review$`));

  const cameraItems = recruiter.locator(".timeline.camera .image");
  await expect(cameraItems.first()).toBeVisible();
  // In capture order: the numbered uploads come out oldest first.
  const times = await recruiter.locator(".timeline.camera .image").evaluateAll((items) => items.map((i) => i.getAttribute("data-time")!));
  expect([...times].sort()).toEqual(times);
  // Lazy loading: the first pages' thumbnails only (one page of each timeline at most), not all.
  await recruiter.waitForTimeout(1000);
  const thumbnails = new Set(mediaRequests.filter((url) => url.includes("/media/")));
  expect(thumbnails.size).toBeGreaterThan(0);
  expect(thumbnails.size).toBeLessThanOrEqual(24 + 6);
  expect(thumbnails.size).toBeLessThan(camera.length + screen.length);

  // Later pages hold the later uploads; the last page ends with the last one.
  await expect(recruiter.locator(".timeline.camera .gap")).toHaveCount(0); // the gap is on a later page
  const cameraTimeline = recruiter.locator(".timeline.camera");
  await cameraTimeline.getByRole("button", { name: "Later" }).click();
  // The gap the server found against the session's recorded 1 s interval.
  await expect(cameraTimeline.locator(".gap")).toContainText(/No captures for [89] s/);
  await cameraTimeline.getByRole("button", { name: "Later" }).click();
  await expect(cameraItems.last()).toHaveAttribute("data-key", camera[camera.length - 1]);
  await expect(recruiter.locator(".timeline.screen .gap")).toHaveCount(1);


  // Open one, step with the keyboard.
  await cameraTimeline.getByRole("button", { name: "Earlier" }).click();
  await cameraTimeline.getByRole("button", { name: "Earlier" }).click();
  await cameraItems.nth(0).locator(".thumb").click();
  const lightbox = recruiter.locator(".lightbox");
  await expect(lightbox).toHaveAttribute("data-key", camera[0]);
  await expect(lightbox.locator("img.full")).toBeVisible();
  await recruiter.keyboard.press("ArrowRight");
  await expect(lightbox).toHaveAttribute("data-key", camera[1]);
  await recruiter.keyboard.press("ArrowLeft");
  await expect(lightbox).toHaveAttribute("data-key", camera[0]);
  await recruiter.screenshot({ path: testInfo.outputPath("review-lightbox.png") });
  await recruiter.keyboard.press("Escape");
  await expect(lightbox).toHaveCount(0);
  await recruiter.screenshot({ path: testInfo.outputPath("review-page.png"), fullPage: true });

  // Delete the first camera image, with the confirmation.
  recruiter.once("dialog", (dialog) => dialog.accept());
  await cameraItems.nth(0).locator(".select").check();
  await recruiter.getByRole("button", { name: "Delete selected (1)" }).click();
  await expect(recruiter.locator(`.image[data-key="${camera[0]}"]`)).toHaveCount(0);
  await expect(cameraItems.first()).toHaveAttribute("data-key", camera[1]);
  const list = await (await recruiter.request.post("/api/monitoring/images", { data: { applicationId: application() } })).json();
  expect(list.camera.map((i: { s3Key: string }) => i.s3Key)).not.toContain(camera[0]);
  const signed = await recruiter.request.post("/api/monitoring/signed-url", { data: { s3Key: camera[0] } });
  expect(signed.status()).toBe(404); // gone from storage's record too

  // A recruiter of another organization gets the 403 page.
  const other = await browser.newPage();
  await signIn(other, { email: process.env.OTHER_RECRUITER_EMAIL!, password: process.env.OTHER_RECRUITER_PASSWORD! });
  await expect(other).toHaveURL(/\/applications$/);
  const refused = await other.goto(`/applications/${application()}/review`);
  expect(refused!.status()).toBe(403);
  await expect(other.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  const missing = await other.goto(`/applications/00000000-0000-4000-8000-000000000000/review`);
  expect(missing!.status()).toBe(404);
  await expect(other.getByRole("heading", { name: "Not found" })).toBeVisible();
});

test("a signed-out visitor to a review page signs in and comes back to it", async ({ page }) => {
  await page.goto(`/applications/${application()}/review`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await page.getByLabel("Email").fill(demoAccount("recruiter").email);
  await page.getByLabel("Password").fill(demoAccount("recruiter").password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/applications/${application()}/review$`));
});
