// Opens N Chromium windows on one page of the portal, signed in with a cookie, and keeps them open: the viewers of the
// live-pages benchmark (bench/Portal.Bench/LiveViewersBenchmarks.cs).
//
//   node viewers.mjs --base URL --cookie COOKIES --path /jobs --tabs 50
//
// Prints "ready N" once every tab shows its page with a live circuit ([data-interactive=true]), then keeps the tabs
// open until standard input closes.
import puppeteer from 'puppeteer-core';

const options = { tabs: 1 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--base') options.base = argv[++i];
  else if (argv[i] === '--cookie') options.cookie = argv[++i];
  else if (argv[i] === '--path') options.path = argv[++i];
  else if (argv[i] === '--tabs') options.tabs = Number(argv[++i]);
}
if (!options.base || !options.path || !(options.tabs > 0)) {
  console.error('usage: node viewers.mjs --base URL --cookie COOKIES --path PATH --tabs N');
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  // Background tabs must behave as visible ones (each a wall screen): no timer throttling, no occlusion.
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
});
const cookies = (options.cookie ?? '').split(';').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
  const at = pair.indexOf('=');
  return { name: pair.slice(0, at), value: pair.slice(at + 1), url: options.base };
});

// Each viewer is a browser context of its own (its own window and cookie jar), as separate people or wall screens
// are: tabs of one window are hidden but the front one (document.visibilityState), and the portal rightly stops
// updating hidden tabs.
async function open() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  if (cookies.length > 0) await page.setCookie(...cookies);
  await page.goto(new URL(options.path, options.base).toString(), { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.waitForSelector('[data-interactive=true]', { timeout: 120_000 });
  if (await page.evaluate(() => document.visibilityState) !== 'visible') throw new Error('a viewer window is hidden');
  return page;
}

// A few at a time: opening 50 at once on 2 cores times out the circuits' start.
for (let opened = 0; opened < options.tabs;) {
  const batch = Math.min(5, options.tabs - opened);
  await Promise.all(Array.from({ length: batch }, open));
  opened += batch;
}
console.log(`ready ${options.tabs}`);

process.stdin.resume();
process.stdin.on('end', async () => {
  await browser.close();
  process.exit(0);
});
