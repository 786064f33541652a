/** Number formatting for the UI. */

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** 1234567 → "1.23 M". */
export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return fmtInt(n);
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A compact rendering of a setting's number (1e-5, 0.25, 12). */
export function fmtNum(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6) return x.toExponential(Number.isInteger(x) ? 0 : 2).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(6)));
}
