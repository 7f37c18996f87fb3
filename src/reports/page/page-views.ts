/** The auditor's page as HTML: the sign-in form, and the report and evidence pack forms of a signed-in principal. */
import { Principal } from '../../auth/principal';
import { Severity } from '../../entities/enums';
import { REPORT_FORMATS, ReportFormat } from '../formats/report-format';
import { TRANSITIONS } from '../patch-transition';
import { html, SafeHtml } from './html';

const FORMAT_LABELS: Record<ReportFormat, string> = { csv: 'CSV', jsonl: 'JSON Lines', pdf: 'PDF' };

/** A problem to show above a form: a typed error's code and message, or a plain sentence. */
export interface Notice {
  code?: string;
  message: string;
}

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · patchgraph</title>
<link rel="stylesheet" href="/reports/page.css">
</head>
<body>
${body}
</body>
</html>
`.text;
}

const notice = (n: Notice | null) =>
  n && html`<p class="error" id="error" role="alert">${n.code ? html`<code>${n.code}</code>: ` : ''}${n.message}</p>`;

export function signInPage(problem: Notice | null): string {
  return layout('Reports: sign in', html`<h1>Patch history reports</h1>
<p class="hint">Sign in with your API key. The key is checked once and is not kept in this browser: it gets a signed session cookie for 8 hours instead.</p>
${notice(problem)}
<form method="post" action="/reports/session" id="sign-in">
<label for="api-key">API key</label>
<input type="password" id="api-key" name="apiKey" autocomplete="off" required>
<p><button type="submit">Sign in</button></p>
</form>`);
}

export interface TenantChoice {
  id: string;
  name: string;
}

/** What the report form shows filled in: the last request's values, or the defaults. */
export type FormValues = Partial<Record<'tenant' | 'from' | 'to' | 'knownAt' | 'format' | 'kb' | 'cve' | 'policy', string>> & {
  severity?: string[];
  transition?: string[];
};

export interface PolicyChoice {
  key: string;
  name: string;
  builtIn: boolean;
}

/** What the evidence pack form shows filled in. */
export type PackFormValues = Partial<Record<'tenant' | 'policy' | 'date' | 'from' | 'knownAt', string>>;

/** The evidence pack form of a role that may download packs: the policies to offer and the values to show. */
export interface PackForm {
  policies: PolicyChoice[];
  values: PackFormValues;
  problem: Notice | null;
}

export function reportPage(p: { principal: Principal; expiresAt: Date; tenants: TenantChoice[]; values: FormValues; problem: Notice | null; pack: PackForm | null }): string {
  const { principal, values } = p;
  const many = principal.scope.all || p.tenants.length > 1;
  const checked = (list: string[] | undefined, v: string) => (list ?? []).includes(v);
  const format = values.format ?? 'csv';
  return layout('Reports', html`<h1>Patch history reports</h1>
<p class="who" id="who">Signed in as <strong id="who-name">${principal.name}</strong> (<span id="who-role">${principal.role}</span>) until ${p.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>
<form method="post" action="/reports/session/delete" id="sign-out"><button type="submit" class="plain">Sign out</button></form>
${notice(p.problem)}
<form method="get" action="/reports/download" id="report">
<fieldset><legend>Report</legend>
<label for="tenant">Tenant</label>
<select id="tenant" name="tenant">
${many ? html`<option value=""${values.tenant ? '' : html` selected`}>All my tenants</option>` : ''}
${p.tenants.map((t) => html`<option value="${t.id}"${values.tenant === t.id ? html` selected` : ''}>${t.name}</option>`)}
</select>
<div class="row">
<div><label for="from">From</label><input type="date" id="from" name="from" value="${values.from ?? ''}" required></div>
<div><label for="to">To (not included)</label><input type="date" id="to" name="to" value="${values.to ?? ''}" required></div>
</div>
<label>Format</label>
${REPORT_FORMATS.map((f) => html`<label class="inline"><input type="radio" name="format" value="${f}" id="format-${f}"${f === format ? html` checked` : ''}> ${FORMAT_LABELS[f]}</label>`)}
</fieldset>
<fieldset><legend>Filters (optional)</legend>
<div class="row">
<div><label for="kb">KB numbers</label><input type="text" id="kb" name="kb" value="${values.kb ?? ''}" placeholder="KB5041585, KB5043076"></div>
<div><label for="cve">CVE ids</label><input type="text" id="cve" name="cve" value="${values.cve ?? ''}" placeholder="CVE-2024-38063"></div>
</div>
<label>Severity</label>
${Object.values(Severity).map((s) => html`<label class="inline"><input type="checkbox" name="severity" value="${s}"${checked(values.severity, s) ? html` checked` : ''}> ${s}</label>`)}
<label>Transition</label>
${TRANSITIONS.map((t) => html`<label class="inline"><input type="checkbox" name="transition" value="${t}"${checked(values.transition, t) ? html` checked` : ''}> ${t}</label>`)}
<div class="row">
<div><label for="policy">Policy (its due dates)</label><input type="text" id="policy" name="policy" value="${values.policy ?? ''}" placeholder="cyber-essentials-v3.3"></div>
<div><label for="knownAt">As known at</label><input type="text" id="knownAt" name="knownAt" value="${values.knownAt ?? ''}" placeholder="now, or 2026-10-25T00:00:00Z"></div>
</div>
</fieldset>
<p><button type="submit" id="download">Download</button></p>
</form>
${p.pack && packSection(p.tenants, p.pack)}`);
}

/** One tenant's pack: the tenant list has no "All my tenants", and the policies are the presets, then the custom ones. */
function packSection(tenants: TenantChoice[], pack: PackForm): SafeHtml {
  const { values } = pack;
  const policyOption = (c: PolicyChoice) => html`<option value="${c.key}"${values.policy === c.key ? html` selected` : ''}>${c.name} (${c.key})</option>`;
  const group = (label: string, list: PolicyChoice[]) => list.length > 0 && html`<optgroup label="${label}">${list.map(policyOption)}</optgroup>`;
  return html`<h2 id="pack-heading">Evidence pack</h2>
<p class="hint">One tenant's compliance as of a date, with its findings, exceptions in force, change records and audit chain verification: a ZIP of a PDF and CSVs.</p>
${notice(pack.problem)}
<form method="get" action="/reports/download-pack" id="pack">
<fieldset><legend>Tenant, policy and date</legend>
<label for="pack-tenant">Tenant</label>
<select id="pack-tenant" name="tenant">
${tenants.map((t) => html`<option value="${t.id}"${values.tenant === t.id ? html` selected` : ''}>${t.name}</option>`)}
</select>
<label for="pack-policy">Policy</label>
<select id="pack-policy" name="policy">
${group('Built-in', pack.policies.filter((c) => c.builtIn))}
${group('Custom', pack.policies.filter((c) => !c.builtIn))}
</select>
<div class="row">
<div><label for="pack-date">Compliance as of (end of the day, UTC)</label><input type="date" id="pack-date" name="date" value="${values.date ?? ''}" required></div>
<div><label for="pack-from">Period from (optional)</label><input type="date" id="pack-from" name="from" value="${values.from ?? ''}"></div>
</div>
<label for="pack-knownAt">As known at (optional)</label><input type="text" id="pack-knownAt" name="knownAt" value="${values.knownAt ?? ''}" placeholder="now, or 2026-10-25T00:00:00Z">
<p class="hint">The period defaults to the 30 days before the date.</p>
</fieldset>
<p><button type="submit" id="download-pack">Download evidence pack</button></p>
</form>`;
}

export function refusalPage(title: string, problem: Notice): string {
  return layout(title, html`<h1>${title}</h1>${notice(problem)}<p><a href="/reports">Back to the reports page</a></p>`);
}
