import { expect, test } from "@playwright/test";
import { demoAccount } from "./helpers";

const application = () => process.env.DEMO_APPLICATION_ID!;

type Who = "recruiter" | "candidate" | "admin" | null;

const pages: { who: Who; path: () => string; name: string }[] = [
  { who: null, path: () => "/login", name: "sign-in" },
  { who: "recruiter", path: () => "/applications", name: "applications" },
  { who: "recruiter", path: () => `/applications/${application()}/review`, name: "review" },
  { who: "recruiter", path: () => "/search?unreviewed=true", name: "search" },
  { who: "recruiter", path: () => "/live", name: "live" },
  { who: "candidate", path: () => "/applications", name: "candidate-applications" },
  { who: "candidate", path: () => `/applications/${application()}/interview`, name: "interview" },
  { who: "admin", path: () => "/admin/keys", name: "keys" },
  { who: "admin", path: () => "/admin/webhooks", name: "webhooks" },
  { who: "admin", path: () => "/audit", name: "audit" },
];

/** What does not fit, in words (empty when everything does). */
async function misfits(page: import("@playwright/test").Page, laptop: boolean): Promise<string[]> {
  return page.evaluate((laptop) => {
    const found: string[] = [];
    const describe = (el: Element) => el.outerHTML.slice(0, 90);
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      found.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window`);
    }
    for (const card of Array.from(document.querySelectorAll(".card"))) {
      const box = card.getBoundingClientRect();
      for (const el of Array.from(card.querySelectorAll("button, input, a, select, table, video"))) {
        // Inside a table that scrolls, a phone scrolls to it.
        if (el.closest(".table-scroll") && !laptop) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (r.right > box.right + 1 || r.left < box.left - 1) found.push(`sticks out of its card: ${describe(el)}`);
      }
    }
    if (laptop) {
      for (const scroll of Array.from(document.querySelectorAll(".table-scroll"))) {
        if (scroll.scrollWidth > scroll.clientWidth + 1) found.push(`a table needs scrolling on a laptop: ${describe(scroll)}`);
      }
    }
    // A label's words and its field do not touch: the field is below the words or apart from them.
    for (const label of Array.from(document.querySelectorAll("form label"))) {
      const input = label.querySelector("input:not([type=checkbox]):not([type=radio]), select, textarea");
      const text = Array.from(label.childNodes).find((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (!input || !text) continue;
      const range = document.createRange();
      range.selectNodeContents(text);
      const words = range.getBoundingClientRect();
      const field = input.getBoundingClientRect();
      const below = field.top >= words.bottom + 2;
      const apart = field.left >= words.right + 4 || field.right <= words.left - 4;
      if (!below && !apart) found.push(`a label touches its field: ${describe(label)}`);
    }
    return found;
  }, laptop);
}

for (const width of [1366, 390]) {
  test(`every page fits a ${width} px wide window, with screenshots`, async ({ browser }, testInfo) => {
    for (const { who, path, name } of pages) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      if (who) {
        const login = await page.request.post("/api/auth/login", { data: demoAccount(who) });
        expect(login.status(), `${who} signs in`).toBe(200);
      }
      await page.goto(path());
      await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
      await page.waitForLoadState("networkidle");
      // The invitation form is folded away: open it, so it is checked too.
      const invite = page.locator("details.invite summary");
      if (await invite.count()) await invite.click();
      const shot = testInfo.outputPath(`${name}-${width}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      await testInfo.attach(`${name} at ${width} px`, { path: shot, contentType: "image/png" });
      expect(await misfits(page, width >= 1000), `${name} at ${width} px`).toEqual([]);
      await context.close();
    }
  });
}
