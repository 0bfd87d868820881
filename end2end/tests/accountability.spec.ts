import { readFileSync } from "fs";
import { expect, test } from "@playwright/test";
import { demoAccount, gotoHydrated, signIn } from "./helpers";

// An application of the demo candidate that only this file uses (scripts/test.sh makes it); it ends erased.
const application = () => process.env.ACCOUNTABILITY_APPLICATION_ID!;

test("the candidate sees who viewed their images and when they go; a recruiter exports; an admin erases", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  // The candidate consents and two images are uploaded.
  await signIn(page, demoAccount("candidate"));
  await expect(page).toHaveURL(/\/applications$/);
  const consent = await page.request.post("/api/monitoring/consent", { data: { applicationId: application(), consentVersion: "2026-11-25" } });
  expect(consent.status()).toBe(200);
  const keys: string[] = await page.evaluate(async (application) => {
    const keys: string[] = [];
    for (const kind of ["camera", "screen"]) {
      const canvas = document.createElement("canvas");
      canvas.width = 160;
      canvas.height = 100;
      canvas.getContext("2d")!.fillRect(0, 0, 80, 50);
      const blob: Blob = await new Promise((resolve) => canvas.toBlob((b) => resolve(b!), "image/jpeg", 0.8));
      const response = await fetch(`/api/monitoring/upload-binary?applicationId=${application}&imageType=${kind}`, {
        method: "POST",
        body: blob,
        headers: { "content-type": "image/jpeg" },
      });
      if (!response.ok) throw new Error(`upload ${response.status}`);
      keys.push((await response.json()).s3Key);
    }
    return keys;
  }, application());

  // A recruiter opens the review page (its thumbnails are signed URLs: a viewing) and downloads the evidence.
  const recruiter = await browser.newPage();
  await signIn(recruiter, demoAccount("recruiter"));
  await expect(recruiter).toHaveURL(/\/applications$/);
  await gotoHydrated(recruiter, `/applications/${application()}/review`);
  await expect(recruiter.locator(".timeline.camera .image img").first()).toBeVisible();
  const [download] = await Promise.all([recruiter.waitForEvent("download"), recruiter.locator("button.export").click()]);
  const zipPath = testInfo.outputPath("evidence.zip");
  await download.saveAs(zipPath);
  const zip = readFileSync(zipPath);
  expect(zip.subarray(0, 2).toString()).toBe("PK");
  expect(zip.includes(Buffer.from("manifest.json"))).toBe(true);

  // The candidate's page: the retention date and the trail of who did what.
  await gotoHydrated(page, `/applications/${application()}/review`);
  await expect(page.locator(".retention")).toContainText("deleted automatically 90 days after they are taken");
  await expect(page.locator(".retention")).toContainText("The latest image is deleted on");
  const trail = page.locator(".audit-trail");
  await expect(trail.locator('tr[data-action="consent"] .actor')).toHaveText("you");
  await expect(trail.locator('tr[data-action="view"] .actor').first()).toHaveText("a recruiter of Demo Hiring Co.");
  await expect(trail.locator('tr[data-action="export"] .actor')).toHaveText("a recruiter of Demo Hiring Co.");
  await trail.locator('tr[data-action="view"] summary').first().click();
  await expect(trail.locator('tr[data-action="view"] code').first()).toHaveText(new RegExp(`^monitoring/${application()}/`));
  // No controls that are not the candidate's.
  await expect(page.locator("button.export, .erase-application")).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("candidate-trail.png"), fullPage: true });

  // The admin's audit page, then the erasure.
  const admin = await browser.newPage();
  await signIn(admin, demoAccount("admin"));
  await expect(admin).toHaveURL(/\/applications$/);
  await gotoHydrated(admin, "/audit");
  await expect(admin.locator("tr.audit-entry").first()).toBeVisible();
  await gotoHydrated(admin, `/applications/${application()}/review`);
  admin.on("dialog", (dialog) => dialog.accept());
  await admin.locator(".erase-application").click();
  await expect(admin.locator(".erase .notice")).toHaveText("Erased 2 images and 0 events.");
  await expect(admin.locator('.audit-trail tr[data-action="erase"] .actor')).toHaveText("an administrator");

  // The candidate sees that, and when, never what; the images are gone.
  await gotoHydrated(page, `/applications/${application()}/review`);
  await expect(page.locator(".retention")).toContainText("Erased on");
  await expect(page.locator(".timeline.camera .image")).toHaveCount(0);
  await expect(page.locator('.audit-trail tr[data-action="erase"]')).toHaveCount(1);
  const gone = await page.request.post("/api/monitoring/signed-url", { data: { s3Key: keys[0] } });
  expect(gone.status()).toBe(404);
});
