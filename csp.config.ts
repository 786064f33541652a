/**
 * The Content-Security-Policy of the built workbench, sent as a response header by `vite preview` (vite.config.ts) and
 * to be sent by any static host (README, "Hosting"): a meta tag cannot carry `frame-ancestors`, and without it the
 * model-download confirmation could be clickjacked inside a frame.
 * - scripts only from the app's origin, plus 'wasm-unsafe-eval' (onnxruntime-web compiles its WebAssembly);
 * - workers from the app's origin (and blob: for libraries that spawn them from a blob);
 * - fetches to the app's origin and any https host (model folders a user chooses; never plain http);
 * - images from the app, data: and blob: (canvases, PNG export); no plugins, no <base>, no form posts, no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' https:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of the built app: the CSP, and the older X-Frame-Options for browsers without frame-ancestors. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
