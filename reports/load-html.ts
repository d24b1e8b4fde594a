import type { LoadResult, LoadTimelinePoint } from '../core/load-result.js';
import { htmlEscape as h, htmlPage } from './html-page.js';
import { describeLoad, formatMs, formatRate, latencyLine } from './load-console.js';
import { kneeLine } from './load-figures.js';

/** Two decimals at most: SVG coordinates stay short and stable. */
const n = (v: number): string => String(Math.round(v * 100) / 100);

/** A "nice" axis maximum at or above the value: 1, 2, 2.5 or 5 times a power of ten. */
function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const COLOR = {
  full: '#0969da',
  resumed: '#1a7f37',
  errors: '#cf222e',
  rejected: '#9a6700',
  line: '#8250df',
  http: '#bc4c00',
};

/**
 * The latency distribution as an HdrHistogram percentile plot: x = percentile on a log scale of 1/(1−p) (so p90,
 * p99, p99.9 are evenly spaced), y = latency in ms.
 */
export function distributionSvg(points: readonly { percentile: number; ms: number }[], label: string): string {
  if (points.length === 0) return '<p class="muted">Nothing was recorded, so there is no distribution to plot.</p>';
  const width = 1040;
  const height = 300;
  const left = 64;
  const right = 36; // room for the last tick label (p99.999)
  const top = 16;
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxNines = 5; // up to p99.999
  const xOf = (p: number) => {
    const nines = p >= 100 ? maxNines : Math.min(maxNines, -Math.log10(1 - p / 100));
    return left + (nines / maxNines) * plotW;
  };
  const maxMs = niceCeil(Math.max(...points.map((p) => p.ms)));
  const yOf = (ms: number) => top + plotH - (ms / maxMs) * plotH;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const y = top + (plotH * t) / 4;
    parts.push(`<line x1="${left}" y1="${n(y)}" x2="${width - right}" y2="${n(y)}" class="grid"/>`);
    parts.push(
      `<text x="${left - 8}" y="${n(y)}" text-anchor="end" dominant-baseline="central" class="axis">${h(n((maxMs * (4 - t)) / 4))}</text>`,
    );
  }
  const ticks: [number, string][] = [
    [0, 'p0'],
    [90, 'p90'],
    [99, 'p99'],
    [99.9, 'p99.9'],
    [99.99, 'p99.99'],
    [99.999, 'p99.999'],
  ];
  for (const [p, text] of ticks) {
    const x = xOf(p);
    parts.push(`<line x1="${n(x)}" y1="${top}" x2="${n(x)}" y2="${top + plotH}" class="grid"/>`);
    parts.push(`<text x="${n(x)}" y="${top + plotH + 16}" text-anchor="middle" class="axis">${h(text)}</text>`);
  }
  parts.push(
    `<text x="${n(left + plotW / 2)}" y="${height - 6}" text-anchor="middle" class="axis">percentile (log scale of 1/(1−p))</text>`,
  );
  parts.push(
    `<text x="14" y="${n(top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 14 ${n(top + plotH / 2)})" class="axis">${h(label)} latency, ms</text>`,
  );
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(xOf(p.percentile))},${n(yOf(p.ms))}`).join(' ');
  parts.push(`<path d="${path}" fill="none" stroke="${COLOR.line}" stroke-width="2"/>`);
  for (const p of points) {
    parts.push(
      `<circle cx="${n(xOf(p.percentile))}" cy="${n(yOf(p.ms))}" r="3" fill="${COLOR.line}"><title>${h(
        `p${p.percentile}: ${formatMs(p.ms)} ms`,
      )}</title></circle>`,
    );
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${h(label)} latency distribution">${parts.join('')}</svg>`
  );
}

/**
 * Throughput per second as stacked bars (full, resumed or requests) with refusals and errors on top. With
 * `decisions` (--scenario) refusals are decided probes: their latency is in the second's mean. A last second the
 * measured phase did not fill (`durationMs` not a whole number of seconds) is drawn pale and labelled partial, so its
 * short bar does not read as a drop in throughput.
 */
export function timelineSvg(
  timeline: readonly LoadTimelinePoint[],
  http: boolean,
  decisions = false,
  durationMs?: number,
): string {
  if (timeline.length === 0) return '<p class="muted">The run lasted less than a second of measurements.</p>';
  const lastFill = durationMs === undefined ? 1 : Math.max(0, Math.min(1, durationMs / 1000 - (timeline.length - 1)));
  const width = 1040;
  const height = 280;
  const left = 64;
  const right = 20;
  const top = 16;
  const bottom = 64;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const totals = timeline.map((p) => (http ? p.requests : p.full + p.resumed) + p.rejected + p.errors);
  const max = niceCeil(Math.max(1, ...totals));
  const barW = plotW / timeline.length;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const y = top + (plotH * t) / 4;
    parts.push(`<line x1="${left}" y1="${n(y)}" x2="${width - right}" y2="${n(y)}" class="grid"/>`);
    parts.push(
      `<text x="${left - 8}" y="${n(y)}" text-anchor="end" dominant-baseline="central" class="axis">${h(n((max * (4 - t)) / 4))}</text>`,
    );
  }
  const every = Math.max(1, Math.ceil(timeline.length / 12));
  timeline.forEach((p, i) => {
    const x = left + i * barW;
    let y = top + plotH;
    const segs: [number, string, string][] = http
      ? [[p.requests, COLOR.http, 'requests']]
      : [
          [p.full, COLOR.full, 'full'],
          [p.resumed, COLOR.resumed, 'resumed'],
        ];
    segs.push([p.rejected, COLOR.rejected, 'rejected']);
    segs.push([p.errors, COLOR.errors, 'errors']);
    const count = (http ? p.requests : p.full + p.resumed) + (decisions ? p.rejected : 0);
    const mean = count > 0 ? p.latencySumUs / count / 1000 : 0;
    const partial = i === timeline.length - 1 && lastFill < 0.999;
    const tip =
      `second ${p.second}${partial ? ` (partial: ${(lastFill * 1000).toFixed(0)} ms of it measured)` : ''}: ` +
      `${http ? `${p.requests} requests` : `${p.full} full, ${p.resumed} resumed`}, ${p.rejected} rejected, ${p.errors} errors, mean ${formatMs(mean)} ms` +
      `${p.p99Ms !== undefined ? `, p99 ${formatMs(p.p99Ms)} ms` : ''}${p.offered !== undefined ? `, ${formatRate(p.offered)} offered, ${p.dropped ?? 0} dropped` : ''}`;
    for (const [v, color] of segs) {
      if (v <= 0) continue;
      const hgt = (v / max) * plotH;
      y -= hgt;
      parts.push(
        `<rect x="${n(x + 1)}" y="${n(y)}" width="${n(Math.max(1, barW - 2))}" height="${n(hgt)}" fill="${color}"${partial ? ' class="partial"' : ''}><title>${h(tip)}</title></rect>`,
      );
    }
    if (partial)
      parts.push(`<text x="${n(x + barW / 2)}" y="${top + 10}" text-anchor="middle" class="axis">partial</text>`);
    if (i % every === 0)
      parts.push(
        `<text x="${n(x + barW / 2)}" y="${top + plotH + 16}" text-anchor="middle" class="axis">${p.second}</text>`,
      );
  });
  parts.push(
    `<text x="${n(left + plotW / 2)}" y="${top + plotH + 34}" text-anchor="middle" class="axis">seconds since the measured phase started</text>`,
  );
  let lx = left;
  const legend: [string, string][] = http
    ? [
        ['requests', COLOR.http],
        ['rejected', COLOR.rejected],
        ['errors', COLOR.errors],
      ]
    : [
        ['full', COLOR.full],
        ['resumed', COLOR.resumed],
        ['rejected', COLOR.rejected],
        ['errors', COLOR.errors],
      ];
  for (const [name, color] of legend) {
    parts.push(`<rect x="${lx}" y="${height - 14}" width="12" height="12" rx="2" fill="${color}"/>`);
    parts.push(`<text x="${lx + 17}" y="${height - 8}" dominant-baseline="central" class="legend">${h(name)}</text>`);
    lx += 17 + name.length * 7.5 + 18;
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="Throughput per second">${parts.join('')}</svg>`
  );
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid #d0d7de}
.muted{color:#59636e}
header.meta dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0 0}
header.meta dt{color:#59636e}
header.meta dd{margin:0}
.banner{margin:20px 0;padding:20px 24px;border-radius:8px;color:#fff;font-size:30px;font-weight:700}
.banner small{display:block;font-size:15px;font-weight:400}
.banner.pass{background:#1a7f37}.banner.fail{background:#cf222e}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-top:4px solid #0969da;border-radius:6px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:24px;line-height:1.2}
.card span{color:#59636e;font-size:13px}
.charts{display:grid;gap:16px}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:8px}
svg.chart{width:100%;max-width:100%;height:auto;display:block}
svg .partial{opacity:.45}
svg .axis,svg .legend{font-size:12px;fill:#1f2328}
svg .grid{stroke:#d8dee4;stroke-width:1}
table{border-collapse:collapse;background:#fff;border:1px solid #d0d7de;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eaeef2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
ul.fail li{color:#cf222e}
footer{margin:32px 0 8px;color:#59636e;font-size:13px}
`;

const rows = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `<tr><td><code>${h(k)}</code></td><td class="num">${v}</td></tr>`)
    .join('');

/**
 * The load report for people: one self-contained page (a Content-Security-Policy forbids loading anything) with the
 * headline figures, the verdict and its reasons, the latency distribution and the throughput timeline as inline SVG,
 * and the errors by class. Every string from the result is HTML-escaped.
 */
export function formatLoadHtml(r: LoadResult): string {
  const http = r.http !== null;
  const title = `mtls-harness load report: ${r.target.name} (${r.passed ? 'PASS' : r.interrupted && r.failures.length === 0 ? 'INTERRUPTED' : 'FAIL'})`;
  const cards: [string, string][] = http
    ? [
        [formatRate(r.http!.requestsPerSecond), 'requests/s'],
        [formatMs(r.http!.latencyMs.p99), 'p99 ms'],
        [String(r.http!.connections), 'TLS connections'],
        [String(r.rejectionsTotal), 'rejected'],
        [String(r.errorsTotal), 'errors'],
      ]
    : [
        [formatRate(r.handshakesPerSecond.total), 'handshakes/s'],
        [formatRate(r.handshakesPerSecond.full), 'full/s'],
        [formatRate(r.handshakesPerSecond.resumed), 'resumed/s'],
        [r.resumedRatio === null ? '–' : `${(r.resumedRatio * 100).toFixed(1)} %`, 'resumed ratio (of accepted)'],
        [formatMs(r.latencyMs.p99), 'p99 ms'],
        [String(r.rejectionsTotal), 'rejected'],
        [String(r.errorsTotal), 'errors'],
      ];
  if (r.errorRate !== null) cards.push([`${(r.errorRate * 100).toFixed(2)} %`, 'error rate']);
  if (r.acceptances !== null) cards.push([String(r.acceptances), 'acceptances']);
  if (r.clientCpuMsPerHandshake !== null)
    cards.push([formatMs(r.clientCpuMsPerHandshake), `generator CPU ms/${http ? 'request' : 'handshake'}`]);
  const meta: [string, string][] = [
    ['Target', `<b>${h(r.target.name)}</b>${r.target.version ? ` ${h(r.target.version)}` : ''}`],
    ['Endpoint', `<code>${h(r.target.endpoint)}</code>`],
    ['Load', h(describeLoad(r))],
    [
      'Measured',
      `${h((r.durationMs / 1000).toFixed(2))} s from ${h(r.startedAt)}${r.agents > 1 ? ` · ${r.agents} agents merged` : ''}${r.interrupted ? ` · interrupted${r.signal ? ` by ${r.signal}` : ''}: partial figures` : ''}${r.dropped > 0 ? ` · ${r.dropped} arrivals dropped` : ''}`,
    ],
    ['Latency', h(latencyLine(http ? r.http!.latencyMs : r.latencyMs))],
    ['Tool', `${h(r.tool.name)} ${h(r.tool.version)}`],
  ];
  if (!http && r.handshakes.rejected > 0)
    meta.push([
      'Refusals',
      h(
        `${r.handshakes.rejected} of ${r.handshakes.attempted} · ${r.handshakes.rejectedAfterHandshake} after the handshake completed · ${r.handshakes.rejectedResumed} on resumed sessions`,
      ),
    ]);
  if (r.resumption.wanted > 0) {
    const rs = r.resumption;
    meta.push([
      'Resumption',
      h(
        `${rs.resumed} of ${rs.wanted} asked for · no ticket received ${rs.noTicketReceived} · ticket refused ${rs.ticketRefused} · server cache off ${rs.serverCacheOff}`,
      ),
    ]);
  }
  if (r.cpu)
    meta.push([
      'Generator CPU',
      h(`${r.cpu.userMs} ms user + ${r.cpu.systemMs} ms system · ${r.cpu.cores} cores busy`),
    ]);
  const banner = r.passed
    ? `<section id="verdict" class="banner pass" role="status">PASS<small>no threshold breached, error rate within bounds, resumption as asked, no bad certificate accepted</small></section>`
    : r.interrupted && r.failures.length === 0
      ? `<section id="verdict" class="banner fail" role="status">INTERRUPTED<small>stopped${r.signal ? ` by ${h(r.signal)}` : ''} before the end: partial figures, no verdict</small></section>`
      : `<section id="verdict" class="banner fail" role="status">FAIL<small>${r.failures.length} reason(s) below</small></section>`;
  const failures = r.failures.length
    ? `<ul class="fail">${r.failures.map((f) => `<li>${h(f)}</li>`).join('')}</ul>`
    : '<p class="muted">None.</p>';
  const notes = r.notes.length ? `<ul>${r.notes.map((x) => `<li>${h(x)}</li>`).join('')}</ul>` : '';
  const errors = r.errorsTotal
    ? `<table><thead><tr><th>class</th><th>count</th></tr></thead><tbody>${rows(r.errors)}</tbody></table>`
    : '<p class="muted">No errors.</p>';
  const rejections = `<h2>Rejections by mechanism</h2>${r.rejectionsTotal ? `<table><thead><tr><th>mechanism</th><th>count</th></tr></thead><tbody>${rows(r.rejections)}</tbody></table>` : '<p class="muted">None: the server refused nothing.</p>'}`;
  const latencyHead =
    '<th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th><th>stdev</th>';
  const latencyTds = (l: LoadResult['latencyMs']) =>
    [l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean, l.stdev]
      .map((v) => `<td class="num">${v === undefined ? '–' : h(formatMs(v))}</td>`)
      .join('');
  const byVersion = r.byVersion
    ? `<h2>By TLS version</h2><table><thead><tr><th>version</th><th>share asked</th><th>handshakes/s</th><th>accepted</th><th>refused</th><th>failed</th>${latencyHead}</tr></thead><tbody>${(
        ['1.2', '1.3'] as const
      )
        .map((v) => {
          const f = r.byVersion![v];
          return `<tr><td>TLS ${v}</td><td class="num">${h((f.share * 100).toFixed(1))} %</td><td class="num">${h(formatRate(f.handshakesPerSecond))}</td><td class="num">${f.succeeded} of ${f.attempted}</td><td class="num">${f.rejected}</td><td class="num">${f.failed}</td>${latencyTds(f.latencyMs)}</tr>`;
        })
        .join('')}</tbody></table>`
    : '';
  const knee = kneeLine(r);
  const kneeSection = knee ? `<h2>Knee (--stages)</h2><p id="knee">${h(knee)}</p>` : '';
  const latencyTable = `<h2>Latency (ms)</h2><table><thead><tr><th>${http ? 'requests' : 'handshakes'}</th>${latencyHead}</tr></thead><tbody><tr><td>all</td>${latencyTds(http ? r.http!.latencyMs : r.latencyMs)}</tr></tbody></table>`;
  const body = `<main>
<header class="meta">
<h1>mTLS load report</h1>
<dl>
${meta.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
</header>
${banner}
<section id="summary" aria-label="Summary">
<h2>Summary</h2>
<div class="cards">
${cards.map(([v, k]) => `<div class="card"><b>${h(v)}</b><span>${h(k)}</span></div>`).join('\n')}
</div>
<h2>Failures</h2>
${failures}
${notes}
${latencyTable}
${byVersion}
${kneeSection}
</section>
<section id="charts">
<h2>Plots</h2>
<div class="charts">
<figure><figcaption>${http ? 'Request' : 'Handshake'} latency distribution (HDR histogram${r.config.rate !== null || !!r.config.stages ? ', from the intended start: coordinated omission corrected' : ''})</figcaption>${distributionSvg(
    http ? r.distribution.http : r.distribution.handshake,
    http ? 'request' : 'handshake',
  )}</figure>
<figure><figcaption>Throughput per second</figcaption>${timelineSvg(r.timeline, http, r.config.scenario !== null, r.durationMs)}</figure>
</div>
</section>
<section id="errors">
<h2>Errors by class</h2>
${errors}
${rejections}
</section>
<footer>Generated by ${h(r.tool.name)} ${h(r.tool.version)} · load results schema v${r.schemaVersion}</footer>
</main>`;
  return htmlPage({ title, css: CSS, body });
}
