// axe-core (pinned in package.json) run in a page at the widths the pages are checked at, and
// its findings as text a person can act on.
//
//   const checker = new AxeChecker();
//   await checker.check(page, 'sign-in', 'signed-out');   // at 1280 and 390 px
//   assert.deepEqual(checker.failures, [], checker.report());

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Desktop and phone (an iPhone 12-15 is 390 CSS px wide). */
export const WIDTHS = [1280, 390];
const HEIGHT = 800;

/** WCAG 2.0 and 2.1, levels A and AA, and axe's best practices. */
export const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** What fails the check; moderate and minor findings are only reported. */
const FAILING = new Set(['serious', 'critical']);

/**
 * Injects axe into the page. Through CDP's Runtime.evaluate, which the page's CSP
 * (`script-src 'self'`) does not govern, unlike a `<script>` that addScriptTag would add; so
 * the pages are checked with their CSP on, as people get them.
 */
async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  await page.evaluate(AXE_SOURCE);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    throw new Error('axe-core did not load in the page');
  }
}

/** axe's violations in the page as it is now: { id, impact, help, helpUrl, targets }. */
export async function axeViolations(page) {
  await injectAxe(page);
  return page.evaluate(async (tags) => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, TAGS);
}

/**
 * The navigation's items that take more than one line (a label broken between words) or do not
 * fit the window: what a phone-width header must not do.
 */
export async function brokenNavigationItems(page) {
  return page.evaluate(() => {
    const broken = [];
    for (const item of document.querySelectorAll('header nav a, header nav button, header .brand')) {
      const box = item.getBoundingClientRect();
      if (box.width === 0) continue; // not shown at this width
      const lineHeight = parseFloat(getComputedStyle(item).lineHeight) || 24;
      if (item.getClientRects().length > 1 || box.height > lineHeight * 1.5) {
        broken.push(`"${item.textContent.trim()}" takes ${Math.round(box.height)} px (more than one line)`);
      }
      if (box.right > document.documentElement.clientWidth + 0.5 || box.left < 0) {
        broken.push(`"${item.textContent.trim()}" is outside the window`);
      }
    }
    return broken;
  });
}

/** Runs axe on pages, at each width, and keeps what it found and which pages it saw. */
export class AxeChecker {
  constructor(pageList) {
    this.pageList = pageList;
    /** "name (state)" of every page checked. */
    this.checked = new Set();
    /** Serious and critical findings: { page, state, width, url, id, impact, help, targets }. */
    this.failures = [];
    /** Moderate and minor ones, reported but not failing. */
    this.notes = [];
  }

  /** Checks the page now in `page` at every width, as the list's entry `name` in `state`. */
  async check(page, name, state) {
    const entry = this.pageList.find((p) => p.name === name);
    if (!entry) throw new Error(`"${name}" is not in tests/browser/pages.json`);
    if (!entry.as.includes(state)) throw new Error(`pages.json: "${name}" is not listed as ${state}`);
    const url = new URL(page.url()).pathname;
    const original = page.viewportSize();
    try {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: HEIGHT });
        for (const v of await axeViolations(page)) {
          const finding = { page: name, state, width, url, ...v };
          (FAILING.has(v.impact) ? this.failures : this.notes).push(finding);
        }
        for (const problem of await brokenNavigationItems(page)) {
          this.failures.push({
            page: name, state, width, url, id: 'navigation-fits', impact: 'serious',
            help: problem, targets: ['header nav'],
          });
        }
      }
    } finally {
      if (original) await page.setViewportSize(original);
    }
    this.checked.add(`${name} (${state})`);
  }

  /** Every finding, one block each: rule, impact, page, state, width, and the elements. */
  report(findings = this.failures) {
    return findings
      .map((f) => [
        `${f.id} (${f.impact}) on ${f.page} [${f.url}], ${f.state}, ${f.width} px: ${f.help}`,
        ...f.targets.map((t) => `    ${t}`),
        ...(f.helpUrl ? [`    see ${f.helpUrl}`] : []),
      ].join('\n'))
      .join('\n');
  }
}
