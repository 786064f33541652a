/**
 * The production build under its Content-Security-Policy (`vite build` + `vite preview`, csp.config.ts): the headers
 * are sent, the app refuses to be framed, and the workbench still works under the policy — the bundled model loads
 * and a PGD attack runs on WebGPU through onnxruntime-web's WebAssembly — with no CSP violation reported.
 */
import { expect, test } from '@playwright/test';
import { CONTENT_SECURITY_POLICY } from '../../csp.config';

test('the built app sends its CSP, cannot be framed, and works under it', async ({ page, request, baseURL }) => {
  const res = await request.get('/');
  expect(res.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers()['x-frame-options']).toBe('DENY');

  const violations: string[] = [];
  await page.exposeFunction('__reportViolation', (v: string) => { violations.push(v); });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportViolation: (v: string) => void }).__reportViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });

  await page.goto('/#p=attack');
  const run = page.getByTestId('attack-run');
  await expect(run).toBeEnabled({ timeout: 240_000 });
  await run.click();
  await expect(page.getByTestId('attack-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });

  expect(violations).toEqual([]);
  expect(errors).toEqual([]);

  // A page that tries to frame the app gets nothing: the browser blocks it for frame-ancestors.
  await page.setContent(`<iframe id="f" src="${baseURL}/"></iframe>`);
  const framed = await page.frameLocator('#f').locator('body').textContent({ timeout: 5_000 }).catch(() => null);
  expect(framed ?? '').not.toContain('AoS Workbench');
  await expect.poll(() => errors.some((e) => e.includes("frame-ancestors 'none'"))).toBe(true);
});
