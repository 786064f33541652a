/**
 * Model → Source → "Model folder URL" stays chosen while the URL is still empty (it used to snap back to the bundled
 * model, so a URL model was reachable only through a shared link): the URL field and its hint appear, nothing is
 * fetched, and the review button waits for a URL.
 */
import { expect, test } from '@playwright/test';

test('choosing a URL source keeps it and asks for the URL', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/?selftest=off#p=model');
  const source = page.getByLabel('Source', { exact: true });
  await source.selectOption('url');
  await expect(source).toHaveValue('url');
  await expect(page.getByTestId('model-waiting')).toContainText('Enter the URL of a model folder');
  await expect(page.getByRole('button', { name: 'Review download…' })).toBeDisabled();
  await page.getByLabel('URL', { exact: true }).fill('https://models.example/clip-vit-b32/');
  await expect(page.getByRole('button', { name: 'Review download…' })).toBeEnabled();
  await expect(source).toHaveValue('url');
  expect(requests.filter((u) => u.includes('models.example'))).toEqual([]);
});
