import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { dashboardDir } from '../../src/config/paths';
import { launchChromium, screenshotPath, watchPage } from '../support/browser';
import { fixtureCsv } from '../support/fixtures';
import { postGraphQL } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/*
 * The web dashboard in headless Chromium (Debian's, driven by playwright-core) against a real API
 * server serving web/dist, a real `mlplane worker` process training breast_cancer.csv, and a real
 * database, with authentication on. The pages talk to the server only through GraphQL over HTTP and
 * graphql-ws (and the upload route), from the server's own origin, with the key a user entered in
 * the key field.
 */

const DEPLOYMENT = 'bc-live';
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe('web dashboard in Chromium', () => {
  let db: TestDatabase;
  let server: TestServer;
  let worker: WorkerProcess | undefined;
  let browser: Browser;
  let origin: string;
  let datasetId: string;
  let modelId: string;
  let datasetVersionId: string;
  let runId: string;
  let versionId: string;
  /** A browser profile whose key field holds the server's ADMIN key (entered in the UI). */
  let admin: BrowserContext;

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const { body } = await postGraphQL(server.url, query, variables);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };

  beforeAll(async () => {
    if (!existsSync(`${dashboardDir}/index.html`)) throw new Error('web/dist is not built: run npm run build:web (npm ci does it)');
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, dashboardDir });
    origin = server.origin;
    const { version } = await server.services.datasets.createDataset({ name: 'breast_cancer', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    datasetId = version.datasetId;
    datasetVersionId = version.id;
    const model = await server.services.models.createModel({ name: 'seed', datasetId, layers: [{ units: 10, activation: 'relu' }] });
    modelId = model.id;
    browser = await launchChromium();
    admin = await signedIn(server.adminKey!);
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await browser?.close();
    await worker?.stop();
    await server?.close();
    await db?.drop();
  }, 30_000);

  /**
   * A fresh browser profile in which a user opened the dashboard without a key, was told one is
   * needed, and entered `key` in the key field: the banner goes and the pages load.
   */
  async function signedIn(key: string): Promise<BrowserContext> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/#/runs`);
    await page.locator('[data-testid="banner"]', { hasText: 'needs an API key' }).waitFor();
    await page.fill('#api-key', key);
    await page.getByRole('button', { name: 'Use' }).click();
    await page.locator('.health').waitFor();
    await page.locator('[data-testid="banner"]').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => localStorage.getItem('mlplane.apiKey'))).toBe(key);
    await page.close();
    return context;
  }

  async function openPage(width = 1280, height = 800, context = admin): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    await page.setViewportSize({ width, height });
    return { page, ...watchPage(page) };
  }

  it("grows a run's loss curve epoch by epoch and shows its status change in the run list", async () => {
    const { page: list, problems: listProblems } = await openPage();
    await list.goto(`${origin}/#/runs`);
    await list.getByText('No runs yet').waitFor();

    const started = await gql('mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id status } }', {
      input: { modelId, datasetVersionId, hyperparameters: { epochs: 30, batchSize: 32, optimizer: 'ADAM', learningRate: 0.001, seed: 42, backend: 'CPU' } },
    });
    runId = started.startTrainingRun.id;
    // The list learns of the new run from runUpdated, without a reload.
    await list.locator(`[data-testid="run-status-${runId}"]`, { hasText: 'QUEUED' }).waitFor();

    const { page, problems } = await openPage();
    await page.goto(`${origin}/#/runs/${runId}`);
    await page.locator('[data-testid="run-status"]', { hasText: 'QUEUED' }).waitFor();
    const chart = page.locator('[data-testid="loss-chart"]');
    expect(await chart.getAttribute('data-points')).toBe('0');
    // Record every point count the chart shows, then let a worker take the run.
    await page.evaluate(() => {
      const element = document.querySelector('[data-testid="loss-chart"]')!;
      const seen: number[] = [];
      (window as unknown as { seenPoints: number[] }).seenPoints = seen;
      new MutationObserver(() => seen.push(Number(element.getAttribute('data-points')))).observe(element, {
        attributes: true,
        attributeFilter: ['data-points'],
      });
    });
    worker = await startWorkerProcess(db.url);
    await page.locator('[data-testid="run-status"]', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points') === '30');
    const seen = await page.evaluate(() => (window as unknown as { seenPoints: number[] }).seenPoints);
    // Points arrived one epoch at a time (several intermediate counts), never going back.
    expect(new Set(seen.filter((n) => n > 0 && n < 30)).size).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await page.locator('[data-testid="loss-chart"]').getAttribute('data-series')).toBe('train loss,validation loss');
    await list.locator(`[data-testid="run-status-${runId}"]`, { hasText: 'SUCCEEDED' }).waitFor();
    const run = await gql('query($id: ID!) { run(id: $id) { modelVersion { id } } }', { id: runId });
    versionId = run.run.modelVersion.id;
    expect(problems).toEqual([]);
    expect(listProblems).toEqual([]);
    await page.close();
    await list.close();
  }, 120_000);

  it('shows a drift alert when it is raised, then acknowledges and resolves it from its buttons', async () => {
    await gql('mutation($input: DeployModelInput!) { deployModel(input: $input) { event { kind } } }', {
      input: { name: DEPLOYMENT, modelVersionId: versionId, monitoring: { drift: { windowSize: 100, periodSeconds: 1 } } },
    });
    const { page, problems } = await openPage();
    await page.goto(`${origin}/#/deployments/${DEPLOYMENT}`);
    await page.getByText('No alerts.').waitFor();

    const rows = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const header = rows[0].split(',');
    const features = header.filter((h) => h !== 'benign');
    const instances = rows.slice(1, 101).map((line) => {
      const values = line.split(',').map(Number);
      // Shifted: every feature doubled, far from the training reference.
      return Object.fromEntries(features.map((f) => [f, values[header.indexOf(f)] * 2]));
    });
    await gql('mutation($input: PredictInput!) { predict(input: $input) { requestKey } }', { input: { deployment: DEPLOYMENT, instances } });

    const alert = page.locator('[data-testid="alert"]', { hasText: 'Data drift' });
    await alert.and(page.locator('[data-status="OPEN"]')).waitFor({ timeout: 30_000 });
    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await alert.and(page.locator('[data-status="ACKNOWLEDGED"]')).waitFor();
    const id = await alert.getAttribute('data-alert-id');
    const stored = await gql('query($filter: AlertFilter) { alerts(first: 10, filter: $filter) { edges { node { id status } } } }', {
      filter: { deployment: DEPLOYMENT, kind: 'DATA_DRIFT' },
    });
    expect(stored.alerts.edges.map((e: { node: { id: string; status: string } }) => e.node)).toContainEqual({ id, status: 'ACKNOWLEDGED' });
    await alert.getByRole('button', { name: 'Resolve' }).click();
    await alert.and(page.locator('[data-status="RESOLVED"]')).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('draws the reference and current distributions of a drifted feature side by side', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${origin}/#/deployments/${DEPLOYMENT}?feature=mean_radius`);
    const chart = page.locator('[data-testid="drift-distribution"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-series')).toBe('reference,current');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(1);
    // The canvas holds drawn bars in both series colours.
    const colours = await chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const context = canvas.getContext('2d')!;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = { reference: false, current: false };
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (Math.abs(r - 0x7a) < 6 && Math.abs(g - 0x8c) < 6 && Math.abs(b - 0xa5) < 6) found.reference = true;
        if (Math.abs(r - 0xe0) < 6 && Math.abs(g - 0x66) < 6 && Math.abs(b - 0x2f) < 6) found.current = true;
      }
      return found;
    });
    expect(colours).toEqual({ reference: true, current: true });
    await page.getByRole('cell', { name: 'mean_radius' }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('loads every page at 1280x800 and 390 px wide with no failed request and no console error, and screenshots each', async () => {
    // A second run, so that the comparison page has two runs to draw.
    const second = await gql('mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id } }', {
      input: { modelId, datasetVersionId, hyperparameters: { epochs: 8, batchSize: 32, optimizer: 'SGD', learningRate: 0.05, seed: 7, backend: 'CPU' } },
    });
    const secondId: string = second.startTrainingRun.id;
    await waitFor(async () => (await gql('query($id: ID!) { run(id: $id) { status } }', { id: secondId })).run.status === 'SUCCEEDED', 60_000, 100);
    const pages: [string, string, string][] = [
      ['runs', '/#/runs', 'runs-table'],
      ['run', `/#/runs/${runId}`, 'loss-chart'],
      ['compare', `/#/compare?ids=${runId},${secondId}`, 'compare-validation-loss'],
      ['models', '/#/models', ''],
      ['model-version', `/#/versions/${versionId}`, 'roc-curve'],
      ['studies', '/#/studies', ''],
      ['deployments', '/#/deployments', ''],
      ['deployment', `/#/deployments/${DEPLOYMENT}`, 'drift-distribution'],
      ['alerts', '/#/alerts', 'alert-feed'],
      ['datasets', '/#/datasets', ''],
      ['dataset', `/#/datasets/${datasetId}`, 'column-profile'],
    ];
    for (const size of SIZES) {
      const { page, problems } = await openPage(size.width, size.height);
      for (const [name, path, testId] of pages) {
        await page.goto(`${origin}${path}`);
        await page.locator('main .card').first().waitFor();
        if (testId) await page.locator(`[data-testid="${testId}"]`).first().waitFor();
        await page.waitForLoadState('networkidle');
        // Nothing spills sideways out of the page at this width (wide tables scroll inside their card).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ page: name, size: size.name, overflow }).toEqual({ page: name, size: size.name, overflow: 0 });
        await page.screenshot({ path: screenshotPath(`${name}-${size.width}`), fullPage: true });
      }
      expect(problems).toEqual([]);
      await page.close();
    }
  }, 120_000);

  const TINY_CSV = Buffer.from('size,colour,label\n1.5,red,yes\n2.5,blue,no\n3.5,red,yes\n4.5,blue,no\n');

  it('uploads a CSV file as a new dataset through the upload route, with the key, and shows its column profiles', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${origin}/#/datasets`);
    await page.locator('input[type="file"]').setInputFiles({ name: 'tiny.csv', mimeType: 'text/csv', buffer: TINY_CSV });
    await page.getByLabel('label column').fill('label');
    const upload = page.waitForRequest((request) => request.url().startsWith(`${origin}/datasets/tiny/versions`));
    await page.getByRole('button', { name: 'Upload' }).click();
    const request = await upload;
    expect({
      method: request.method(),
      url: request.url(),
      authorization: await request.headerValue('authorization'),
      origin: await request.headerValue('origin'),
    }).toEqual({
      method: 'POST',
      url: `${origin}/datasets/tiny/versions?labelColumn=label`,
      authorization: `Bearer ${server.adminKey}`,
      origin,
    });
    await page.getByText('Dataset tiny').waitFor();
    await page.locator('[data-testid="column-profile"]', { hasText: 'colour' }).waitFor();
    expect(await page.locator('[data-testid="column-profile"]').count()).toBe(3);
    const stored = await gql('{ dataset(name: "tiny") { task versions { edges { node { rowCount } } } } }');
    expect(stored.dataset).toEqual({ task: 'BINARY_CLASSIFICATION', versions: { edges: [{ node: { rowCount: 4 } }] } });
    // A new version of it, from its page.
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: 'tiny2.csv', mimeType: 'text/csv', buffer: Buffer.concat([TINY_CSV, Buffer.from('5.5,red,yes\n')]) });
    await page.getByRole('button', { name: 'Upload version' }).click();
    await page.getByText('Version 2 created.').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);

  it('with a VIEWER key, an upload shows the refusal naming the EDITOR role and creates nothing', async () => {
    const viewer = await signedIn(await server.createKey('dash-viewer', 'VIEWER'));
    const { page, problems } = await openPage(1280, 800, viewer);
    await page.goto(`${origin}/#/datasets`);
    await page.locator('input[type="file"]').setInputFiles({ name: 'seen.csv', mimeType: 'text/csv', buffer: TINY_CSV });
    await page.getByLabel('label column').fill('label');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('form.upload .error', { hasText: 'Upload refused: uploadDataset requires the EDITOR role; key "dash-viewer" has VIEWER' }).waitFor();
    // The key itself is fine: no banner, and the page still lists datasets.
    expect(await page.locator('[data-testid="banner"]').count()).toBe(0);
    await page.getByRole('link', { name: 'tiny' }).waitFor();
    expect((await gql('{ dataset(name: "seen") { id } }')).dataset).toBeNull();
    // The one refused request (Chromium logs each 4xx answer to fetch as a console error too).
    expect(problems).toEqual([
      `HTTP 403: ${origin}/datasets/seen/versions?labelColumn=label`,
      'console error: Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ]);
    await page.close();
    await viewer.close();
  }, 30_000);

  it('says clearly when the server is unreachable', async () => {
    const { page } = await openPage();
    await page.goto(`${origin}/#/runs`);
    await page.locator('[data-testid="runs-table"]').waitFor();
    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    await page.routeWebSocket(/\/graphql$/, (ws) => ws.close({ code: 1011, reason: 'server down' }));
    await page.goto(`${origin}/#/models`);
    await page.reload();
    await page.locator('[data-testid="banner"]', { hasText: 'unreachable' }).waitFor();
    await page.close();
  }, 30_000);

  it('against the real server, says a wrong key was refused and recovers when the right one is entered', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchPage(page).problems;
    await page.goto(`${origin}/#/runs`);
    await page.locator('[data-testid="banner"]', { hasText: 'needs an API key' }).waitFor();
    await page.fill('#api-key', 'mlp_wrong_key');
    await page.getByRole('button', { name: 'Use' }).click();
    await page.locator('[data-testid="banner"]', { hasText: 'API key was refused' }).waitFor();
    expect(problems.length).toBeGreaterThan(0);
    // Only 401 answers of /graphql (Chromium logs each as a console error too).
    const refused = (problem: string) =>
      problem.startsWith(`HTTP 401: ${origin}/graphql`) ||
      problem === 'console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)';
    expect(problems.filter((problem) => !refused(problem))).toEqual([]);
    await page.fill('#api-key', server.adminKey!);
    await page.getByRole('button', { name: 'Use' }).click();
    await page.locator('[data-testid="runs-table"]').waitFor();
    await page.locator('[data-testid="banner"]').waitFor({ state: 'detached' });
    await context.close();
  }, 30_000);

  it('says the key is missing or wrong on 401 over HTTP and close code 4401 over graphql-ws, and sends the key it is given', async () => {
    // A profile with no key yet (the server's answers are replaced by refusals).
    const page = await browser.newPage();
    const seen: { http: (string | undefined)[]; ws: unknown[] } = { http: [], ws: [] };
    await page.route('**/graphql', (route) => {
      seen.http.push(route.request().headers().authorization);
      return route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] }),
      });
    });
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      ws.onMessage((message) => {
        seen.ws.push(JSON.parse(String(message)).payload);
        void ws.close({ code: 4401, reason: 'Unauthorized' });
      });
    });
    await page.goto(`${origin}/#/runs`);
    await page.locator('[data-testid="banner"]', { hasText: 'needs an API key' }).waitFor();
    await page.fill('#api-key', 'mlp_wrong');
    await page.getByRole('button', { name: 'Use' }).click();
    await page.locator('[data-testid="banner"]', { hasText: 'API key was refused' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('mlplane.apiKey'))).toBe('mlp_wrong');
    expect(seen.http).toContain('Bearer mlp_wrong');
    // The subscriptions reconnect with the new key in connection_init's payload.
    await waitFor(() => seen.ws.some((payload) => (payload as { authorization?: string } | undefined)?.authorization === 'Bearer mlp_wrong'), 10_000, 20);
    await page.close();
  }, 30_000);
});
