// Lighthouse on pages of one site with Debian's Chromium, signed in with the site's own cookie.
//
//   node audit.mjs --base http://127.0.0.1:5080 [--cookie "name=value; …"] [--sign-in SCRIPT] [--profile mobile|desktop] [--out DIR] [--no-screenshot] [--public PATH]... PATH...
//
// --public PATH (repeatable) is audited first, before the cookie is set or the sign-in runs: a page seen signed out
// (a login page), in the same browser as the others instead of a second run of its own.
// --no-screenshot skips Lighthouse's full-page screenshot (about a second a page; it only illustrates the report's
// elements, no score uses it): for callers that read the scores, not the stored report.
// Prints one JSON array on standard output: per page its four category scores (0–100), LCP, total blocking time, the bytes transferred and
// the audits that failed; with --out, each page's full Lighthouse report is kept as DIR/<page>.<profile>.json (its `file`).
// The portal's lab-checks job runs it and reads those files.
//
// A sign-in script (--sign-in) is an ES module whose default export signs in before the audits:
//   export default async function signIn(page, { baseUrl, username, password }) { … }
// given a puppeteer page of the audit's browser and the LAB_USERNAME / LAB_PASSWORD of its environment.
//
// The cookie goes into the browser's cookie jar, not into an extra request header (lighthouse --extra-headers): a
// header reaches the document but not the page's own fetches, so a Blazor page would load without its circuit.
import fs from 'node:fs';
import path from 'node:path';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

function parse(argv) {
  const options = { profile: 'mobile', paths: [], publicPaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--base') options.base = argv[++i];
    else if (arg === '--cookie') options.cookie = argv[++i];
    else if (arg === '--profile') options.profile = argv[++i];
    else if (arg === '--out') options.out = argv[++i];
    else if (arg === '--sign-in') options.signIn = argv[++i];
    else if (arg === '--no-screenshot') options.noScreenshot = true;
    else if (arg === '--public') options.publicPaths.push(argv[++i]);
    else options.paths.push(arg);
  }
  if (!options.base || options.paths.length + options.publicPaths.length === 0 || !['mobile', 'desktop'].includes(options.profile)) {
    console.error('usage: node audit.mjs --base URL [--cookie COOKIES] [--sign-in SCRIPT] [--profile mobile|desktop] [--out DIR] [--no-screenshot] [--public PATH]... PATH...');
    process.exit(2);
  }
  return options;
}

const options = parse(process.argv.slice(2));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  // No network here: keep Chromium from calling Google's services during the audit.
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  const page = await browser.newPage();
  const results = [];
  for (const pagePath of options.publicPaths) {
    results.push(await audit(page, pagePath, results.length));
  }
  if (options.cookie) {
    const cookies = options.cookie.split(';').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1), url: options.base };
    });
    await page.setCookie(...cookies);
  }
  if (options.signIn) {
    const { default: signIn } = await import(pathToFileURL(path.resolve(options.signIn)).href);
    await signIn(page, { baseUrl: options.base, username: process.env.LAB_USERNAME ?? '', password: process.env.LAB_PASSWORD ?? '' });
  }

  for (const pagePath of options.paths) {
    results.push(await audit(page, pagePath, results.length));
  }
  process.stdout.write(JSON.stringify(results, null, 1) + '\n');
} finally {
  await browser.close();
}

async function audit(page, pagePath, index) {
  const url = new URL(pagePath, options.base).toString();
  const runner = await lighthouse(url, { output: 'json', logLevel: 'error', disableFullPageScreenshot: options.noScreenshot === true }, options.profile === 'desktop' ? desktopConfig : undefined, page);
  const report = runner.lhr;
  let file = null;
  if (options.out) {
    fs.mkdirSync(options.out, { recursive: true });
    file = path.join(options.out, `${index + 1}-` + (pagePath.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root') + '.' + options.profile + '.json');
    fs.writeFileSync(file, runner.report);
  }
  const scores = Object.fromEntries(Object.entries(report.categories).map(([id, category]) => [id, category.score === null ? null : Math.round(category.score * 100)]));
  const failing = Object.values(report.audits)
    .filter((audit) => audit.score !== null && audit.score < 0.9 && ['binary', 'numeric', 'metricSavings'].includes(audit.scoreDisplayMode))
    .map((audit) => ({ id: audit.id, score: audit.score, value: audit.displayValue ?? '', items: (audit.details?.items ?? []).slice(0, 3).map((item) => item.node?.snippet ?? item.description ?? item.url ?? item.reason ?? '') }));
  return {
    path: pagePath,
    profile: options.profile,
    file,
    finalUrl: report.finalDisplayedUrl,
    runtimeError: report.runtimeError?.message ?? null,
    scores,
    lcpMs: report.audits['largest-contentful-paint']?.numericValue ?? null,
    tbtMs: report.audits['total-blocking-time']?.numericValue ?? null,
    totalBytes: report.audits['total-byte-weight']?.numericValue ?? null,
    failing,
  };
}
