import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { demoAccount, invite } from "./helpers";

// axe-core (a checker nobody here wrote) on every page, and an interview done
// with the keyboard alone.

const demoApplication = () => process.env.DEMO_APPLICATION_ID!;

type Who = "recruiter" | "candidate" | "admin" | null;

/** The serious and critical violations axe-core finds on the page, printed, as "rule: element" lines. */
async function violations(page: Page, name: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const minor = results.violations.length - bad.length;
  console.log(`axe-core ${name}: ${results.passes.length} rules pass, ${bad.length} serious or critical, ${minor} minor or moderate`);
  return bad.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} — ${n.failureSummary?.split("\n")[1] ?? v.help}`));
}

const pages: { who: Who; path: () => string; name: string }[] = [
  { who: null, path: () => "/login", name: "sign-in" },
  { who: "recruiter", path: () => "/applications", name: "applications" },
  { who: "recruiter", path: () => `/applications/${demoApplication()}/review`, name: "review" },
  { who: "recruiter", path: () => "/search", name: "search" },
  { who: "recruiter", path: () => "/live", name: "live" },
  { who: "candidate", path: () => "/applications", name: "candidate's applications" },
  { who: "candidate", path: () => `/applications/${demoApplication()}/review`, name: "candidate's application page" },
  { who: "admin", path: () => "/admin/keys", name: "keys" },
  { who: "admin", path: () => "/admin/webhooks", name: "webhooks" },
  { who: "admin", path: () => "/audit", name: "audit" },
];

test("every page has no serious or critical axe-core violation", async ({ browser, request }) => {
  test.setTimeout(180_000);
  const found: string[] = [];
  for (const { who, path, name } of pages) {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (who) expect((await page.request.post("/api/auth/login", { data: demoAccount(who) })).status()).toBe(200);
    await page.goto(path());
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    await page.waitForLoadState("networkidle");
    found.push(...(await violations(page, name)).map((v) => `${name}: ${v}`));
    await context.close();
  }
  // The capture link's page, the consent step and the running panel of a new application.
  const { token } = await invite(request, "Accessibility check", 60);
  const path = `/capture/${token}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(path);
  found.push(...(await violations(page, "capture link")).map((v) => `capture link: ${v}`));
  await page.getByRole("button", { name: "Open the interview" }).click();
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "I agree, start monitoring" })).toBeVisible();
  found.push(...(await violations(page, "consent")).map((v) => `consent: ${v}`));
  await page.getByRole("button", { name: "I agree, start monitoring" }).click();
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  found.push(...(await violations(page, "interview")).map((v) => `interview: ${v}`));
  await context.close();
  expect(found).toEqual([]);
});

/** Presses Tab until the focused element is `name`'s button (at most 40 times); checks its focus is visible. */
async function tabTo(page: Page, name: string) {
  for (let n = 0; n < 40; n++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return null;
      const style = getComputedStyle(el);
      return { text: (el.innerText || el.getAttribute("aria-label") || "").trim(), outline: style.outlineStyle, width: parseFloat(style.outlineWidth), shadow: style.boxShadow };
    });
    if (focused?.text === name) {
      const visible = (focused.outline !== "none" && focused.width > 0) || (focused.shadow !== "none" && focused.shadow !== "");
      expect(visible, `the focus on "${name}" is visible`).toBe(true);
      return;
    }
  }
  throw new Error(`"${name}" is not reached with Tab`);
}

test("an interview with the keyboard alone: open the link, agree, share, snapshot; the status is announced", async ({ browser, request }) => {
  test.setTimeout(90_000);
  const { token } = await invite(request, "Keyboard interview", 60);
  const path = `/capture/${token}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(path);
  await tabTo(page, "Open the interview");
  await page.keyboard.press("Enter");
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await tabTo(page, "I agree, start monitoring");
  await page.keyboard.press("Enter");
  await expect(page.locator(".monitoring-panel[data-camera-live=true]")).toHaveCount(1);
  // Screen readers hear the panel's state change (a polite live region).
  const announcer = page.locator(".monitoring-panel [role=status][aria-live=polite].panel-announcer");
  await expect(announcer).toContainText("camera is on");
  await tabTo(page, "Share screen");
  await page.keyboard.press("Enter");
  await expect(page.locator(".monitoring-panel[data-screen=shared]")).toHaveCount(1);
  await expect(announcer).toContainText("screen is shared");
  const taken = async () => Number(await page.locator(".camera-count").getAttribute("data-captured"));
  const before = await taken();
  await tabTo(page, "Take camera snapshot");
  await page.keyboard.press("Enter");
  await expect.poll(taken).toBeGreaterThan(before);
  await expect.poll(async () => Number(await page.locator(".camera-count").getAttribute("data-uploaded"))).toBeGreaterThan(0);
  await context.close();
});
