import { expect, test } from "@playwright/test";
import { demoAccount, gotoHydrated, signIn } from "./helpers";

test("the demo recruiter signs in and sees the demo application", async ({ page }) => {
  await signIn(page, demoAccount("recruiter"));
  await expect(page).toHaveURL(/\/applications$/);
  await expect(page.getByRole("heading", { name: "Your organization's applications" })).toBeVisible();
  const row = page.locator(`tr[data-application-id="${process.env.DEMO_APPLICATION_ID}"]`);
  await expect(row).toContainText("Senior Rust Engineer");
  await expect(row).toContainText("candidate@demo.test");
});

test("a wrong password shows an error and stays on sign-in", async ({ page }) => {
  const { email } = demoAccount("candidate");
  await signIn(page, { email, password: "definitely-wrong" });
  await expect(page.getByRole("alert")).toHaveText("wrong email or password");
  await expect(page).toHaveURL(/\/login$/);
});

test("a signed-out visitor is sent to sign-in and returns after", async ({ page }) => {
  await page.goto("/applications");
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await page.getByLabel("Email").fill(demoAccount("candidate").email);
  await page.getByLabel("Password").fill(demoAccount("candidate").password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/applications$/);
  await expect(page.getByRole("heading", { name: "Your applications" })).toBeVisible();
});

test("signing out ends the session", async ({ page }) => {
  await signIn(page, demoAccount("admin"));
  await expect(page.getByRole("heading", { name: "All applications" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await gotoHydrated(page, "/applications");
  await expect(page).toHaveURL(/\/login\?next=/);
});
