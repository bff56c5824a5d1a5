// Drives the server's Swagger UI in headless Debian Chromium, as a person would:
// authorize with a bearer token, try GET /api/v1/cities and POST /api/v1/institutions,
// and read the answers off the page. Called by ./run, which installs what it needs.
//
// Env: SAFETRAIN_URL, SAFETRAIN_BIN, SAFETRAIN_DATA_DIR, OUT_DIR.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const RENDER_TIMEOUT = 60_000; // first render of the whole document
const STEP_TIMEOUT = 30_000; // any single wait or click
const RESPONSE_TIMEOUT = 45_000; // an Execute round trip shown in the UI

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`browser: ${name} must be set`);
    process.exit(2);
  }
  return value;
}

const baseUrl = need('SAFETRAIN_URL').replace(/\/+$/, '');
const bin = need('SAFETRAIN_BIN');
const dataDir = need('SAFETRAIN_DATA_DIR');
const outDir = need('OUT_DIR');
const origin = new URL(baseUrl).origin;
mkdirSync(outDir, { recursive: true });

// --- helpers -------------------------------------------------------------------------

// GB 32100-2015 unified social credit code: 17 characters and a check character.
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function creditCode() {
  let body = '91440100';
  for (let i = 0; i < 9; i += 1) body += String(randomInt(10));
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    let weight = 1;
    for (let k = 0; k < i; k += 1) weight = (weight * 3) % 31;
    sum += CHARSET.indexOf(body[i]) * weight;
  }
  return body + CHARSET[(31 - (sum % 31)) % 31];
}

function mintToken() {
  const out = execFileSync(
    bin,
    ['token', '--role', 'city_admin', '--city', '440100', '--sub', 'browser-demo', '--data-dir', dataDir],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 },
  );
  const token = out.trim().split(/\s+/).pop() ?? '';
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new Error(`safetrain token printed no JWT: ${JSON.stringify(out.slice(0, 200))}`);
  }
  return token;
}

async function waitForServer() {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/docs/`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await new Promise((r) => setTimeout(r, 500)); // polling interval, not an assertion
  }
  throw new Error(`${baseUrl}/docs/ did not answer 200 within 60 s (${last})`);
}

function oneLine(e) {
  return String(e?.message ?? e).replace(/\s+/g, ' ').slice(0, 800);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// The operation block Swagger UI renders for tag + operationId.
function operation(page, tag, operationId) {
  return page.locator(`#operations-${tag}-${operationId}`);
}

async function expand(op) {
  await op.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
    await op.locator('.opblock-summary-control, .opblock-summary').first().click();
  }
  await op.locator('.opblock-body').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
}

async function tryItOut(op) {
  const button = op.locator('button.try-out__btn');
  await button.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  if ((await button.innerText()).trim() === 'Try it out') await button.click();
  await op.locator('button.execute').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
}

// Clicks Execute and returns { status, body, curl } as the UI shows them.
async function execute(op) {
  await op.locator('button.execute').click();
  const row = op.locator('.live-responses-table tbody tr.response').first();
  await row.waitFor({ state: 'visible', timeout: RESPONSE_TIMEOUT });
  const status = (await row.locator('.response-col_status').innerText()).trim();
  const bodyBlock = row.locator('.response-col_description pre').first();
  await bodyBlock.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  const body = await bodyBlock.innerText();
  const curlBlock = op.locator('.curl-command pre, .curl-command code').first();
  const curl = (await curlBlock.count()) ? await curlBlock.innerText() : '';
  return { status, body, curl };
}

// Screenshot of an operation from its summary down to the server's response shown,
// leaving out the long list of documented responses below it.
async function shotOfOperation(page, op, file) {
  const clip = await op.evaluate((el) => {
    const top = el.getBoundingClientRect();
    const live = el.querySelector('.live-responses-table') ?? el;
    const bottom = live.getBoundingClientRect().bottom;
    return {
      x: top.left + window.scrollX,
      y: top.top + window.scrollY,
      width: top.width,
      height: bottom - top.top + 8,
    };
  });
  await page.screenshot({ path: file, fullPage: true, clip });
}

// --- the run -------------------------------------------------------------------------

const TEST_COUNT = 2;
const started = Date.now();
const results = [];
const blocked = []; // requests that left the server's origin
const pageErrors = [];
let browserContext;
let userDataDir;

async function test(name, fn, page) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL - ${name}: ${oneLine(e)}`);
    if (e?.stack) console.error(e.stack);
    if (page) {
      const file = join(outDir, `failure-${results.length}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`  screenshot of the failure: ${file}`);
    }
  }
}

// Requests a page needs: a blocked one of these kinds fails the run. Anything else
// (an image, a favicon, a beacon) is reported, since the page works without it.
const NEEDED = new Set(['document', 'script', 'stylesheet', 'xhr', 'fetch', 'font', 'websocket', 'eventsource', 'manifest']);

try {
  await waitForServer();
  const token = mintToken();

  userDataDir = mkdtempSync(join(tmpdir(), 'safetrain-chromium-'));
  browserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'zh-CN',
    timeout: 120_000,
  });
  browserContext.setDefaultTimeout(STEP_TIMEOUT);

  await browserContext.route('**/*', async (route) => {
    const request = route.request();
    let requestOrigin = '';
    try {
      requestOrigin = new URL(request.url()).origin;
    } catch {
      /* not a URL with an origin */
    }
    if (requestOrigin === origin) return route.continue();
    blocked.push({ url: request.url(), type: request.resourceType() });
    return route.abort('blockedbyclient');
  });

  const page = browserContext.pages()[0] ?? (await browserContext.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e?.message ?? e)));

  await test(
    'Swagger UI renders, authorizes, and GET /api/v1/cities answers 200 with 广州市',
    async () => {
      const nav = await page.goto(`${baseUrl}/docs/`, { waitUntil: 'domcontentloaded', timeout: RENDER_TIMEOUT });
      check(nav && nav.ok(), `GET /docs/ answered ${nav?.status()}`);
      await page.locator('.swagger-ui .info .title').waitFor({ state: 'visible', timeout: RENDER_TIMEOUT });
      await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: RENDER_TIMEOUT });
      const opCount = await page.locator('.opblock').count();
      check(opCount >= 10, `only ${opCount} operations rendered`);
      const title = (await page.locator('.swagger-ui .info .title').innerText()).trim();
      check(title.startsWith('safetrain'), `title is ${JSON.stringify(title)}`);
      await page.screenshot({ path: join(outDir, 'swagger-home.png') });

      // Authorize with the bearer token.
      await page.locator('.scheme-container button.authorize').click();
      const modal = page.locator('.modal-ux');
      await modal.waitFor({ state: 'visible' });
      const field = modal.locator('input[aria-label="auth-bearer-value"], .auth-container input[type="text"]').first();
      await field.fill(token);
      await modal.locator('.auth-btn-wrapper button.authorize').click();
      // Authorized: the dialog offers Logout instead of Authorize.
      await modal.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor({ state: 'visible' });
      await modal.locator('.modal-ux-content').screenshot({ path: join(outDir, 'swagger-authorized.png') });
      await modal.locator('.auth-btn-wrapper button.btn-done, button.close-modal').first().click();
      await modal.waitFor({ state: 'hidden' });
      await page.locator('.scheme-container button.authorize.locked').waitFor({ state: 'visible' });

      const op = operation(page, 'cities', 'list_cities');
      check(
        (await op.locator('.opblock-summary-description').innerText()).includes('List city modules'),
        'GET /api/v1/cities is not "List city modules"',
      );
      await expand(op);
      await tryItOut(op);
      const answer = await execute(op);
      await shotOfOperation(page, op, join(outDir, 'swagger-get.png'));
      check(answer.status === '200', `the UI shows status ${answer.status}, not 200; body: ${answer.body.slice(0, 300)}`);
      check(answer.body.includes('440100'), `the response shown lacks 440100: ${answer.body.slice(0, 300)}`);
      check(answer.body.includes('广州市'), `the response shown lacks 广州市: ${answer.body.slice(0, 300)}`);
      console.log(`  GET /api/v1/cities: ${answer.status}, ${answer.body.length} characters shown`);
    },
    page,
  );

  await test(
    'POST /api/v1/institutions from the UI with the bearer token answers 201 with the new id',
    async () => {
      const op = operation(page, 'institutions', 'create_institution');
      await expand(op);
      await tryItOut(op);
      const code = creditCode();
      const body = {
        name: `浏览器测试培训学校${code.slice(8, 17)}`,
        credit_code: code,
        city_code: '440100',
        registered_address: '广州市天河区体育西路1号',
        office_address: '广州市天河区体育西路1号3楼',
        legal_representative: '张三',
        contact_name: '李四',
        contact_phone: '13812345678',
        business_term_end: null,
        platform_url: 'https://training.example.cn',
        introduction: '浏览器端到端测试创建的机构。',
      };
      const editor = op.locator('textarea.body-param__text');
      await editor.waitFor({ state: 'visible' });
      const example = await editor.inputValue();
      check(example.includes('credit_code'), `the request body editor holds no example: ${example.slice(0, 200)}`);
      await editor.fill(JSON.stringify(body, null, 2));
      check((await editor.inputValue()).includes(code), 'the request body editor did not take the new body');

      const answer = await execute(op);
      await shotOfOperation(page, op, join(outDir, 'swagger-post.png'));
      check(answer.curl.includes('Bearer '), 'the curl command shown carries no Authorization: Bearer header');
      check(answer.status === '201', `the UI shows status ${answer.status}, not 201; body: ${answer.body.slice(0, 500)}`);
      let created;
      try {
        created = JSON.parse(answer.body);
      } catch (e) {
        throw new Error(`the response shown is not JSON: ${answer.body.slice(0, 300)}`);
      }
      check(
        typeof created.id === 'string' && /^[0-9a-f-]{36}$/i.test(created.id),
        `the response shown has no id: ${answer.body.slice(0, 300)}`,
      );
      check(created.credit_code === code, `the response shown has credit_code ${created.credit_code}, not ${code}`);
      check(answer.body.includes(created.id), 'the new id is not on the page');
      console.log(`  POST /api/v1/institutions: ${answer.status}, id ${created.id}, credit_code ${code}`);
    },
    page,
  );
} catch (e) {
  console.log(`FAIL - setup: ${oneLine(e)}`);
  if (e?.stack) console.error(e.stack);
  // The tests that could not run count as failed.
  while (results.length < TEST_COUNT) results.push({ name: 'not run', ok: false });
} finally {
  if (browserContext) await browserContext.close().catch(() => {});
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
}

// Anything the page needed from outside the server fails the run.
for (const b of blocked) console.log(`  blocked ${b.type} request off the server: ${b.url}`);
const neededBlocked = blocked.filter((b) => NEEDED.has(b.type));
if (neededBlocked.length) {
  results.push({ name: 'no resource needed from outside the server', ok: false });
  console.log(`FAIL - the page needed ${neededBlocked.length} resource(s) from outside ${origin}`);
}
for (const e of pageErrors) console.log(`  page error: ${e}`);

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`  screenshots in ${outDir}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
