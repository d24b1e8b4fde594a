import type { RunResult, ScenarioResult, Verdict } from '../core/result.js';
import {
  CHANGE_LABEL,
  describeExpected,
  describeObserved,
  describeOutcome,
  formatDuration,
  isProblem,
  notVerifiedHeadline,
  warningsOf,
  findingsOf,
  describeClients,
  policiesOf,
  runStatus,
  interruptedHeadline,
  STATUS_LABEL,
  summaryText,
  tlsLabel,
  tlsVersionsOf,
  VERDICT_ORDER,
  countVerdicts,
} from './common.js';
import { htmlEscape, htmlPage } from './html-page.js';

export { htmlEscape };

const h = htmlEscape;

const VERDICT_COLOR: Readonly<Record<Verdict, string>> = {
  pass: '#1a7f37',
  fail: '#cf222e',
  xpass: '#bc4c00',
  error: '#8250df',
  xfail: '#0969da',
  skip: '#6e7781',
};

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  pass: 'pass',
  fail: 'fail',
  xpass: 'unexpected pass',
  error: 'error',
  xfail: 'known deviation',
  skip: 'skipped',
};

/** Two decimals at most, no trailing zeros: SVG coordinates stay short and stable. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** An escaped scenario id that may wrap only after a `::`, never inside a kebab-case name. */
function idHtml(id: string): string {
  return id
    .split('::')
    .map((part) => `<span class="nw">${h(part)}</span>`)
    .join('::<wbr>');
}

function badge(verdict: Verdict): string {
  return `<span class="badge v-${verdict}">${h(verdict)}</span>`;
}

function changeBadge(result: ScenarioResult): string {
  if (result.change === 'new-failure') return ' <span class="chg chg-new-failure">new failure</span>';
  if (result.change === 'fixed') return ' <span class="chg chg-fixed">fixed</span>';
  return '';
}

/** Stacked horizontal bars: verdict counts per TLS version, with a legend. */
function verdictChart(results: readonly ScenarioResult[]): string {
  const versions = tlsVersionsOf(results);
  const width = 640;
  const left = 72;
  const right = 56;
  const barH = 30;
  const gap = 14;
  const top = 8;
  const plotW = width - left - right;
  const legendY = top + versions.length * (barH + gap) + 6;
  const height = legendY + 24;
  const parts: string[] = [];
  const max = Math.max(1, ...versions.map((tls) => results.filter((r) => r.tls === tls).length));
  versions.forEach((tls, i) => {
    const y = top + i * (barH + gap);
    const rows = results.filter((r) => r.tls === tls);
    const counts = countVerdicts(rows);
    parts.push(
      `<text x="${left - 10}" y="${n(y + barH / 2)}" text-anchor="end" dominant-baseline="central" class="axis">${h(tlsLabel(tls))}</text>`,
    );
    parts.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${barH}" class="track"/>`);
    let x = left;
    for (const verdict of VERDICT_ORDER) {
      const count = counts[verdict];
      if (count === 0) continue;
      const w = (count / max) * plotW;
      parts.push(
        `<rect x="${n(x)}" y="${y}" width="${n(w)}" height="${barH}" fill="${VERDICT_COLOR[verdict]}"><title>${h(
          `${tlsLabel(tls)}: ${count} ${verdict}`,
        )}</title></rect>`,
      );
      if (w >= 22) {
        parts.push(
          `<text x="${n(x + w / 2)}" y="${n(y + barH / 2)}" text-anchor="middle" dominant-baseline="central" class="seg">${count}</text>`,
        );
      }
      x += w;
    }
    parts.push(
      `<text x="${n(x + 8)}" y="${n(y + barH / 2)}" dominant-baseline="central" class="axis">${rows.length}</text>`,
    );
  });
  let lx = left;
  for (const verdict of VERDICT_ORDER) {
    parts.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" rx="2" fill="${VERDICT_COLOR[verdict]}"/>`);
    parts.push(
      `<text x="${lx + 17}" y="${legendY + 6}" dominant-baseline="central" class="legend">${h(verdict)}</text>`,
    );
    lx += 17 + verdict.length * 7.5 + 18;
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="Verdicts per TLS version">${parts.join('')}</svg>`
  );
}

/** A "nice" axis maximum at or above the value: 1, 2, 2.5 or 5 times a power of ten. */
function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Horizontal bars: handshake duration of every result that ran, coloured by verdict, with a millisecond axis. */
/** `require::handshake::cv-bitflip · TLS 1.3`, the id shortened from the left so the TLS version always shows. */
function resultLabel(r: ScenarioResult, maxChars: number): string {
  const tail = ` · ${tlsLabel(r.tls)}`;
  const room = maxChars - tail.length;
  return (r.id.length > room ? `…${r.id.slice(r.id.length - room + 1)}` : r.id) + tail;
}

/**
 * Handshake durations in a form that stays readable at any number of results: a histogram of every result that ran
 * (how many took how long), then the ten slowest, labelled with their TLS version.
 */
function durationChart(results: readonly ScenarioResult[]): string {
  const ran = results.filter((r) => r.observed.outcome !== 'not-run');
  if (ran.length === 0) return '<p class="muted">No scenario ran, so there are no durations to plot.</p>';
  return `${durationHistogram(ran)}${slowest(ran)}`;
}

function durationHistogram(ran: readonly ScenarioResult[]): string {
  const max = niceCeil(Math.max(...ran.map((r) => r.duration)));
  const bins = 12;
  const counts = new Array<number>(bins).fill(0);
  for (const r of ran) counts[Math.min(bins - 1, Math.floor((Math.max(0, r.duration) / max) * bins))]! += 1;
  const top = Math.max(...counts);
  const left = 44;
  const plotW = 560;
  const plotH = 140;
  const pad = 24;
  const width = left + plotW + 16;
  const height = pad + plotH + 34;
  const binW = plotW / bins;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const y = pad + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" y1="${n(y)}" x2="${left + plotW}" y2="${n(y)}" class="grid"/>`);
    parts.push(
      `<text x="${left - 6}" y="${n(y)}" text-anchor="end" dominant-baseline="central" class="axis">${h(n((top * t) / 4))}</text>`,
    );
  }
  counts.forEach((count, i) => {
    const x = left + i * binW;
    const bh = top === 0 ? 0 : (count / top) * plotH;
    const from = (max * i) / bins;
    const to = (max * (i + 1)) / bins;
    parts.push(
      `<rect x="${n(x + 2)}" y="${n(pad + plotH - bh)}" width="${n(binW - 4)}" height="${n(bh)}" rx="2" class="bar"><title>${h(
        `${n(from)}–${n(to)} ms: ${count} result(s)`,
      )}</title></rect>`,
    );
  });
  for (let t = 0; t <= 4; t++) {
    const x = left + (plotW * t) / 4;
    parts.push(
      `<text x="${n(x)}" y="${pad + plotH + 16}" text-anchor="middle" class="axis">${h(n((max * t) / 4))} ms</text>`,
    );
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="Handshake duration distribution">${parts.join('')}</svg>`
  );
}

function slowest(ran: readonly ScenarioResult[]): string {
  const top = [...ran].sort((a, b) => b.duration - a.duration).slice(0, 10);
  const maxChars = 60;
  const left = maxChars * 6.7 + 16;
  const plotW = 360;
  const width = Math.ceil(left + plotW + 70);
  const rowH = 18;
  const head = 24;
  const height = head + top.length * rowH + 8;
  const max = niceCeil(Math.max(...top.map((r) => r.duration)));
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const x = left + (plotW * t) / 4;
    parts.push(`<line x1="${n(x)}" y1="${head - 4}" x2="${n(x)}" y2="${height - 6}" class="grid"/>`);
    parts.push(`<text x="${n(x)}" y="${head - 10}" text-anchor="middle" class="axis">${h(n((max * t) / 4))} ms</text>`);
  }
  top.forEach((r, i) => {
    const y = head + i * rowH;
    const w = Math.max(1, (Math.max(0, r.duration) / max) * plotW);
    const full = `${r.id} · ${tlsLabel(r.tls)}`;
    parts.push(
      `<text x="${n(left - 8)}" y="${n(y + rowH / 2)}" text-anchor="end" dominant-baseline="central" class="label">${h(
        resultLabel(r, maxChars),
      )}<title>${h(full)}</title></text>`,
    );
    parts.push(
      `<rect x="${n(left)}" y="${n(y + 3)}" width="${n(w)}" height="${rowH - 6}" rx="2" fill="${VERDICT_COLOR[r.verdict]}"><title>${h(
        `${full}: ${formatDuration(r.duration)}, ${r.verdict} (${describeOutcome(r.observed)})`,
      )}</title></rect>`,
    );
    parts.push(
      `<text x="${n(left + w + 6)}" y="${n(y + rowH / 2)}" dominant-baseline="central" class="value">${h(
        formatDuration(r.duration),
      )}</text>`,
    );
  });
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="The ten slowest results">${parts.join('')}</svg>`
  );
}

function articles(results: readonly ScenarioResult[], label?: string): string {
  return results
    .map(
      (r) => `<article class="failure v-border-${label ? 'warn' : r.verdict}">
<h3>${label ? `<span class="badge v-warn">${h(label)}</span>` : badge(r.verdict)} <code>${h(r.id)}</code> <span class="tls">${h(tlsLabel(r.tls))}</span>${changeBadge(r)}</h3>
<p class="title">${h(r.title)} <span class="sub">(${h(r.severity)})</span></p>
<dl>
<dt>Expected</dt><dd>${h(describeExpected(r.expected))}</dd>
<dt>Observed</dt><dd>${h(describeObserved(r.observed))}</dd>
${r.observations.length > 1 ? `<dt>Clients</dt><dd>${h(describeClients(r.observations))}</dd>\n` : ''}<dt>Reason</dt><dd>${h(r.reason)}</dd>
<dt>Policy · fixture · time</dt><dd>${h(r.policy)} · ${r.fixture === null ? 'no client certificate' : `<code>${h(r.fixture)}</code>`} · ${h(formatDuration(r.duration))}</dd>
</dl>
</article>`,
    )
    .join('\n');
}

function warningSection(run: RunResult): string {
  const warnings = warningsOf(run);
  if (warnings.length === 0) return '';
  return `<section id="warnings">
<h2>Warnings (${warnings.length})</h2>
<p class="warn-note">Protocol-severity failures: strictness without authentication impact. They do not fail the gate unless the run used <code>--strict</code>.</p>
${articles(warnings, 'warn')}
</section>`;
}

function sessionsSection(run: RunResult): string {
  const findings = findingsOf(run);
  if (findings.length === 0) return '';
  const rows = findings
    .map(
      (r) =>
        `<tr data-verdict="${h(r.verdict)}"><td class="id"><code>${h(r.id)}</code></td><td>${h(tlsLabel(r.tls))}</td>` +
        `<td>${badge(r.verdict)}</td><td>${h(r.severity)}</td><td>${h(r.finding ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section id="sessions">
<h2>Sessions and identity (${findings.length})</h2>
<p class="muted">What resumed sessions, post-handshake authentication and proxies did, and what the server asked for in its CertificateRequest. Advisory findings are behaviours the RFCs leave to the server; they never fail the gate.</p>
<table class="results"><thead><tr><th>Scenario</th><th>TLS</th><th>Verdict</th><th>Severity</th><th>What was seen</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

function coverageSection(run: RunResult): string {
  const lines = [...run.coverage.notVerified, ...run.coverage.missing.map((m) => `required: ${m}`)];
  if (lines.length === 0) return '';
  return `<section id="coverage">
<h2>Not verified</h2>
<ul>
${lines.map((l) => `<li>${h(l)}</li>`).join('\n')}
</ul>
</section>`;
}

function failingSection(run: RunResult, problems: readonly ScenarioResult[]): string {
  if (problems.length === 0 && run.error) {
    return '<p class="warn-note">No scenario failed, but the run itself stopped with an error (see the banner), so no verdict can be trusted.</p>';
  }
  if (problems.length === 0) {
    return '<p class="ok-note">No failures, unexpected passes or errors.</p>';
  }
  return articles(problems);
}

function resultsTable(run: RunResult): string {
  const withBaseline = run.baseline !== undefined;
  const showPolicy = policiesOf(run.results).length > 1;
  const head = [
    'Scenario',
    ...(showPolicy ? ['Policy'] : []),
    'TLS',
    'Verdict',
    'Expected',
    'Observed',
    'Reason',
    'Time',
    ...(withBaseline ? ['Change'] : []),
  ];
  const rows = run.results.map(
    (r) =>
      `<tr data-verdict="${h(r.verdict)}"><td class="id"><code>${idHtml(r.id)}</code><div class="sub">${h(r.title)}</div></td>` +
      (showPolicy ? `<td>${h(r.policy)}</td>` : '') +
      `<td class="nowrap">${h(r.tls)}</td><td>${badge(r.verdict)}</td><td>${h(describeExpected(r.expected))}</td>` +
      `<td>${h(describeOutcome(r.observed))}</td><td class="reason">${h(r.reason)}</td>` +
      `<td class="num nowrap">${h(formatDuration(r.duration))}</td>` +
      (withBaseline ? `<td>${changeBadge(r).trim() || (r.change ? h(CHANGE_LABEL[r.change]) : '')}</td>` : '') +
      '</tr>',
  );
  const options = VERDICT_ORDER.map((v) => `<option value="${v}">${h(v)}</option>`).join('');
  return `<div class="filters">
<label>Filter <input id="filter-text" type="search" placeholder="id, title, alert, reason…" autocomplete="off"></label>
<label>Verdict <select id="filter-verdict"><option value="">all</option><option value="problems">fail, xpass, error</option>${options}</select></label>
<span id="filter-count" class="muted" aria-live="polite">${run.results.length} of ${run.results.length} results</span>
</div>
<div class="table-wrap"><table id="results">
<thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:1320px;margin:0 auto;padding:24px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;overflow-wrap:anywhere}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid #d0d7de}
h3{font-size:16px;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.muted{color:#59636e}
header.meta dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0 0}
header.meta dt{color:#59636e}
header.meta dd{margin:0}
.banner{margin:20px 0;padding:20px 24px;border-radius:8px;color:#fff;font-size:30px;font-weight:700;letter-spacing:.02em}
.banner small{display:block;font-size:15px;font-weight:400;opacity:.95;letter-spacing:0}
.banner.conformant{background:#1a7f37}.banner.not-conformant{background:#cf222e}.banner.error{background:#6639ba}.banner.interrupted{background:#9a6700}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-top:4px solid #8c959f;border-radius:6px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:26px;line-height:1.2}
.card span{color:#59636e;font-size:13px}
${VERDICT_ORDER.map((v) => `.card.v-${v}{border-top-color:${VERDICT_COLOR[v]}}`).join('\n')}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;line-height:18px;white-space:nowrap}
${VERDICT_ORDER.map((v) => `.badge.v-${v}{background:${VERDICT_COLOR[v]}}`).join('\n')}
.badge.v-warn{background:#9a6700}.v-border-warn{border-left-color:#9a6700}
.chg{display:inline-block;white-space:nowrap;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;border:1px solid}
.chg-new-failure{color:#cf222e;border-color:#cf222e;background:#ffebe9}
.chg-fixed{color:#1a7f37;border-color:#1a7f37;background:#dafbe1}
.charts{display:grid;gap:16px}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:8px}
svg.chart{max-width:100%;height:auto;display:block}
svg .axis,svg .legend{font-size:12px;fill:#1f2328}
svg .bar{fill:#0969da}
svg .seg{font-size:12px;font-weight:700;fill:#fff}
svg .label{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1f2328}
svg .value{font-size:11px;fill:#59636e}
svg .grid{stroke:#d8dee4;stroke-width:1}
svg .track{fill:#eaeef2}
.failure{background:#fff;border:1px solid #d0d7de;border-left:6px solid #8c959f;border-radius:6px;padding:12px 16px;margin:0 0 12px}
${VERDICT_ORDER.map((v) => `.failure.v-border-${v}{border-left-color:${VERDICT_COLOR[v]}}`).join('\n')}
.failure .title{margin:0 0 8px;color:#59636e}
.failure dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
.failure dt{font-weight:600}
.failure dd{margin:0;overflow-wrap:anywhere}
.tls{font-size:13px;color:#59636e;font-weight:400}
.ok-note{background:#dafbe1;border:1px solid #1a7f37;border-radius:6px;padding:10px 16px}
.warn-note{background:#fbefff;border:1px solid #6639ba;border-radius:6px;padding:10px 16px}
.filters{display:flex;flex-wrap:wrap;gap:16px;align-items:center;margin-bottom:10px}
.filters input,.filters select{font:inherit;padding:4px 8px;border:1px solid #d0d7de;border-radius:6px;margin-left:6px}
.filters input{width:300px;max-width:60vw}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d0d7de;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #eaeef2}
th{background:#f6f8fa;position:sticky;top:0}
tbody tr:hover{background:#f6f8fa}
tr[hidden]{display:none}
td .sub{color:#59636e;font-size:12px}
td.id{min-width:250px;max-width:340px}
.nw{white-space:nowrap}
td.reason{overflow-wrap:anywhere;min-width:160px}
.num{text-align:right}.nowrap{white-space:nowrap}
footer{margin:32px 0 8px;color:#59636e;font-size:13px}
`;

// Plain ES5-level script: filters the results table by free text and verdict. It reads the DOM only.
const SCRIPT = `
(function () {
  var input = document.getElementById('filter-text');
  var select = document.getElementById('filter-verdict');
  var count = document.getElementById('filter-count');
  var table = document.getElementById('results');
  if (!input || !select || !count || !table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var problems = { fail: true, xpass: true, error: true };
  function apply() {
    var q = input.value.trim().toLowerCase();
    var v = select.value;
    var shown = 0;
    rows.forEach(function (row) {
      var verdict = row.getAttribute('data-verdict');
      var okVerdict = !v || (v === 'problems' ? problems[verdict] === true : verdict === v);
      var ok = okVerdict && (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + ' of ' + rows.length + ' results';
  }
  input.addEventListener('input', apply);
  select.addEventListener('change', apply);
  apply();
})();
`;

/**
 * One self-contained HTML page for people: the run's context, a verdict banner, summary counts, two inline SVG
 * plots (verdicts per TLS version, handshake duration per scenario), every failing result with expected vs observed
 * and its reason, and the full results table with a small inline filter script. It loads nothing from anywhere
 * (a Content-Security-Policy forbids it), and every string from the run is HTML-escaped.
 */
export function formatHtml(run: RunResult): string {
  const status = runStatus(run);
  const problems = run.results.filter((r) => isProblem(r, run));
  const title = `${run.tool.name} report: ${run.target.name} (${STATUS_LABEL[status]})`;
  const bannerDetail =
    status === 'error' && run.error
      ? `${run.error.code}: ${run.error.message}`
      : status === 'not-conformant'
        ? `${problems.length} failing result(s): ${summaryText({ ...countVerdicts(problems), pass: 0, skip: 0, xfail: 0 })}`
        : status === 'interrupted'
          ? interruptedHeadline(run)
          : [
              `every scenario passed, was skipped, or is a known deviation`,
              run.summary.warnings > 0 ? `${run.summary.warnings} warning(s)` : '',
              notVerifiedHeadline(run),
            ]
              .filter(Boolean)
              .join(' · ');
  const meta: [string, string][] = [
    ['Target', `<b>${h(run.target.name)}</b>${run.target.version ? ` ${h(run.target.version)}` : ''}`],
    ['Endpoint', `<code>${h(run.target.endpoint)}</code> (${h(run.target.probe)} probe)`],
    ['Policy', h(run.policy)],
    ['Strictness', h(run.strictness)],
    ['Fixture clock', `<code>${h(run.clock)}</code>`],
    ['Started', `${h(run.startedAt)} · took ${h(formatDuration(run.duration))}`],
    ['Tool', `${h(run.tool.name)} ${h(run.tool.version)}`],
    ['Catalogue', `v${h(String(run.catalogue.version))} (${h(String(run.catalogue.scenarios))} scenarios)`],
  ];
  if (run.interrupted) meta.push(['Interrupted', h(interruptedHeadline(run))]);
  if (run.baseline) {
    meta.push([
      'Baseline',
      `<code>${h(run.baseline.file)}</code>: <span class="chg chg-new-failure">${run.baseline.newFailures} new failure(s)</span> ` +
        `<span class="chg chg-fixed">${run.baseline.fixed} fixed</span>`,
    ]);
  }
  const cards = [
    `<div class="card"><b>${run.summary.total}</b><span>total</span></div>`,
    ...VERDICT_ORDER.map(
      (v) => `<div class="card v-${v}"><b>${run.summary[v]}</b><span>${h(VERDICT_TEXT[v])}</span></div>`,
    ),
  ].join('\n');

  const body = `<main>
<header class="meta">
<h1>mTLS conformance report</h1>
<dl>
${meta.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
</header>
<section id="verdict" class="banner ${status}" role="status">${h(STATUS_LABEL[status])}<small>${h(bannerDetail)}</small></section>
<section id="summary" aria-label="Summary">
<h2>Summary</h2>
<div class="cards">
${cards}
</div>
</section>
<section id="failing">
<h2>Failing scenarios (${problems.length})</h2>
${failingSection(run, problems)}
</section>
${warningSection(run)}
${sessionsSection(run)}
${coverageSection(run)}
<section id="charts">
<h2>Plots</h2>
<div class="charts">
<figure><figcaption>Verdicts per TLS version</figcaption>${verdictChart(run.results)}</figure>
<figure><figcaption>Handshake duration: every result that ran, and the ten slowest</figcaption>${durationChart(run.results)}</figure>
</div>
</section>
<section id="all">
<h2>All results (${run.results.length})</h2>
${resultsTable(run)}
</section>
<footer>Generated by ${h(run.tool.name)} ${h(run.tool.version)} · results schema v${h(String(run.schemaVersion))}</footer>
</main>`;
  return htmlPage({ title, css: CSS, body, script: SCRIPT });
}
