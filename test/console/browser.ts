/**
 * Headless Chromium from Debian (`chromium`), driven by playwright-core; the console served by
 * the real server (dist/cli/main.js, built by `npm run build` with the web console).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { BRIDGE_ENTRY, REPO_ROOT } from '../support/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_BUILT = join(REPO_ROOT, 'dist/console/index.html');

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserTestsUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian package chromium)`;
  if (!existsSync(BRIDGE_ENTRY) || !existsSync(CONSOLE_BUILT))
    return 'the server and console are not built: npm run build';
  return undefined;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Console messages that mean the page broke its own rules (CSP violations) or crashed. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

const AXE = readFileSync(join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core (WCAG 2.1 A and AA rules) on the page as it is; its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays in force.
  await page.evaluate(AXE);
  const result = (await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  )) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export const describeViolations = (v: AxeViolation[]) =>
  v.map((x) => `${x.id} (${x.impact}): ${x.help} — ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');

/**
 * Saves a screenshot of the page: into docs/ui/ (shown by docs/console.md) with
 * UPDATE_UI_SCREENSHOTS=1, else into a temporary folder, so that a test run leaves the tree unchanged.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.UPDATE_UI_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs/ui') : join(tmpdir(), 'ib-console-ui');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.png`), await page.screenshot());
}

/** Draws an <img> on a canvas in the page and returns its size and grey levels (runs in the browser; a string: no DOM types here). */
/** Runs in the page (serialized by playwright): the grey levels of a decoded <img>. */
// The page's DOM types are not part of this Node project, hence `any`.
async function readPixels(image: any): Promise<{ width: number; height: number; grey: number[] }> {
  await image.decode();
  const canvas = (globalThis as any).document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const d: number[] = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const grey: number[] = [];
  for (let i = 0; i < d.length; i += 4) grey.push(Math.round((d[i] + d[i + 1] + d[i + 2]) / 3));
  return { width: canvas.width, height: canvas.height, grey };
}

/** The grey levels of the first image matching `selector`, as the browser decoded it. */
export async function imagePixels(page: Page, selector: string): Promise<{ width: number; grey: number[] }> {
  return page.locator(selector).first().evaluate(readPixels);
}

/** Share of pixels that differ from the first one: 0 for a blank (uniform) image. */
export async function imageVariety(page: Page, selector: string): Promise<{ width: number; varied: number }> {
  const { width, grey } = await imagePixels(page, selector);
  const varied = grey.filter((v) => Math.abs(v - grey[0]) > 8).length;
  return { width, varied: grey.length ? varied / grey.length : 0 };
}

/** `node dist/cli/main.js …` (the CLI as installed). */
export function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BRIDGE_ENTRY, ...args], { cwd: REPO_ROOT, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The status a rendering resource answers (404 until the render work is merged). */
export async function statusOf(url: string): Promise<number> {
  const res = await fetch(url, { headers: { accept: 'image/png' } });
  await res.arrayBuffer();
  return res.status;
}
