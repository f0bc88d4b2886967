import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium driven by playwright-core (never a downloaded browser). */
export const RESULTS_DIR = path.resolve(__dirname, '..', '..', '..', 'test-results');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(RESULTS_DIR, `${name}.png`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs one step of a flow; on failure saves a screenshot named after it before failing. */
export async function step<T>(page: Page, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const file = await screenshot(page, `failure-${name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => 'none');
    throw new Error(`step "${name}" failed (screenshot: ${file}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Form controls people can reach that have no accessible name: inputs, selects and textareas without a
 * <label>, aria-label or aria-labelledby, and role=radio / checkbox / switch elements without a name.
 * Inputs that are not rendered or sit in an aria-hidden subtree are skipped: Quasar's native radio,
 * checkbox and toggle inputs are such (they only forward label clicks); the role=… element around them
 * is the control, and is checked instead.
 */
export async function unlabelledInputs(page: Page): Promise<string[]> {
  return page.$$eval('input:not([type=hidden]), select, textarea, [role=radio], [role=checkbox], [role=switch]', (elements) =>
    elements
      .filter((el) => {
        if (el.closest('[aria-hidden="true"]') || !el.checkVisibility({ visibilityProperty: true })) return false;
        const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
        if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) return !(named || (el.labels?.length ?? 0) > 0);
        return !(named || el.textContent?.trim());
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

/** Selector of an element by its `data-test` hook. */
export const tid = (id: string) => `[data-test="${id}"]`;

/** Logs in through the login form and waits for the dashboard. */
export async function loginThroughUi(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), password);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('dashboard'));
}

/** Waits for a dialog to close; if it stays open, fails with what it shows (an error banner, a field error). */
export async function waitForDialogClosed(page: Page, selector: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { state: 'detached', timeout });
  } catch (err) {
    const shown = await page.textContent(selector).catch(() => null);
    throw new Error(`${selector} is still open, showing: ${shown?.replace(/\s+/g, ' ').trim() ?? '(gone)'}\n${err instanceof Error ? err.message : String(err)}`);
  }
}
