import { visible } from './common.js';

/** Escapes text for HTML element content and quoted attribute values; control characters are made visible. */
export function htmlEscape(text: string): string {
  return visible(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * A self-contained HTML page: inline CSS (and optional inline script) only, a Content-Security-Policy that forbids
 * every fetch, and a data: favicon so a browser makes no request at all. `body` is trusted HTML built by the caller.
 */
export function htmlPage(page: { title: string; css: string; body: string; script?: string }): string {
  const scriptSrc = page.script ? " script-src 'unsafe-inline';" : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';${scriptSrc} img-src data:">
<link rel="icon" href="data:,">
<title>${htmlEscape(page.title)}</title>
<style>${page.css}</style>
</head>
<body>
${page.body}
${page.script ? `<script>${page.script}</script>\n` : ''}</body>
</html>
`;
}
