import * as vscode from 'vscode';
import type { MboxPreview, PreviewOption, PreviewResult } from '../../core/delivery/client';
import type { QaMode } from '../../core/delivery/request';

/** What the report says about how the preview was asked (never a token: only a property's name). */
export interface PreviewAsked {
  connectionName: string;
  clientCode: string;
  visitor: string;
  pageUrl?: string;
  property?: string;
  trace: boolean;
  /** The Activity QA link's qaMode, without its token. */
  qa?: Omit<QaMode, 'token'>;
  time: number;
}

/** What one mbox got, reduced to what a before/after comparison looks at. */
export interface MboxOutcome {
  name: string;
  served: boolean;
  activity: string | null;
  experience: string | null;
  offer: string | null;
  content: string;
}

function contentText(option: PreviewOption): string {
  if (typeof option.content === 'string') return option.content;
  return JSON.stringify(option.content, null, 2) ?? 'null';
}

export function outcomeOf(m: MboxPreview): MboxOutcome {
  return {
    name: m.name,
    served: m.options.length > 0,
    activity: m.activity,
    experience: m.experience,
    offer: m.offer,
    content: m.options.map(contentText).join('\n'),
  };
}

/** One line per mbox whose outcome differs between two previews; empty when nothing changed. */
export function changesBetween(before: readonly MboxOutcome[], after: readonly MboxOutcome[]): string[] {
  const lines: string[] = [];
  const none = vscode.l10n.t('nothing');
  const label = (o: MboxOutcome | undefined) => (o?.served ? (o.experience ?? o.offer ?? o.activity ?? '?') : none);
  for (const now of after) {
    const then = before.find((b) => b.name === now.name);
    if (!then) continue;
    const same =
      then.served === now.served &&
      then.activity === now.activity &&
      then.experience === now.experience &&
      then.offer === now.offer &&
      then.content === now.content;
    if (same) continue;
    lines.push(
      then.served && now.served && label(then) === label(now)
        ? vscode.l10n.t('{0}: same experience ({1}), different content', now.name, label(now))
        : vscode.l10n.t('{0}: {1} → {2}', now.name, label(then), label(now)),
    );
  }
  return lines;
}

/** The note shown when a preview after an update finds nothing changed. */
export function unchangedNote(): string {
  return vscode.l10n.t(
    'Nothing changed since the preview before the update. Target can take up to 24 hours to apply a profile update to what it serves (the local emulator applies it at once): run the preview again later.',
  );
}

/** A fenced block that no backticks in `text` can close early. */
function fenced(text: string, language: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

function languageOf(option: PreviewOption): string {
  if (typeof option.content !== 'string') return 'json';
  return /html/i.test(option.type) ? 'html' : 'text';
}

/** Markdown table cell: no line breaks or pipes inside. */
function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (text ?? '').replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function checklist(asked: PreviewAsked): string[] {
  return [
    `### ${vscode.l10n.t('Why is nothing served?')}`,
    '',
    `- [ ] ${
      asked.property
        ? vscode.l10n.t('Property token: "{0}" was sent; the activity may belong to another workspace.', asked.property)
        : vscode.l10n.t(
            'Property token: none was sent; an activity in a Target Premium workspace needs its property token (Set Property Token…).',
          )
    }`,
    `- [ ] ${
      asked.pageUrl
        ? vscode.l10n.t(
            'Authorized host or environment: the host of {0} may not be an authorized host, or its environment does not serve the activity.',
            asked.pageUrl,
          )
        : vscode.l10n.t('Authorized host or environment: the activity may target a page; give its URL.')
    }`,
    `- [ ] ${vscode.l10n.t(
      'Response tokens switched off: activity.name, experience.name and offer.name must be on (Administration > Response Tokens) for names to show.',
    )}`,
    `- [ ] ${vscode.l10n.t(
      'Update not processed yet: Target can take up to 24 hours to apply a profile update; run the preview again later.',
    )}`,
    `- [ ] ${
      asked.qa
        ? vscode.l10n.t(
            'Activity QA link: its at_preview_index may name activities or experiences that are not on this mbox, and with "listed activities only" every other activity is left out.',
          )
        : vscode.l10n.t(
            'Activity inactive: no live activity on this mbox has an audience this visitor is in; an inactive one can be checked with its Activity QA link.',
          )
    }`,
    '',
  ];
}

/** The QA mode as the report names it: the link's at_preview_* settings, never its token. */
export function describeQa(qa: Omit<QaMode, 'token'> | undefined): string {
  if (!qa) return vscode.l10n.t('none');
  const parts: string[] = [];
  if (qa.previewIndexes?.length) {
    parts.push(`at_preview_index=${qa.previewIndexes.map((p) => `${p.activityIndex}_${p.experienceIndex}`).join(',')}`);
  }
  if (qa.listedActivitiesOnly) parts.push(vscode.l10n.t('listed activities only'));
  if (qa.evaluateAsTrueAudienceIds?.length) {
    parts.push(vscode.l10n.t('audiences {0} evaluated as true', qa.evaluateAsTrueAudienceIds.join(', ')));
  }
  if (qa.evaluateAsFalseAudienceIds?.length) {
    parts.push(vscode.l10n.t('audiences {0} evaluated as false', qa.evaluateAsFalseAudienceIds.join(', ')));
  }
  return parts.length ? vscode.l10n.t('Activity QA link ({0})', parts.join('; ')) : vscode.l10n.t('Activity QA link');
}

function mboxSection(m: MboxPreview, asked: PreviewAsked): string[] {
  const unknown = (token: string) => vscode.l10n.t('(unknown: the {0} response token is off)', token);
  const lines = [`## mbox \`${m.name}\``, ''];
  if (m.options.length === 0) {
    lines.push(`**${vscode.l10n.t('Nothing qualifies for this visitor.')}**`, '', ...checklist(asked));
  } else {
    lines.push(
      `- ${vscode.l10n.t('Activity')}: ${m.activity ?? unknown('activity.name')}`,
      `- ${vscode.l10n.t('Experience')}: ${m.experience ?? unknown('experience.name')}`,
      `- ${vscode.l10n.t('Offer')}: ${m.offer ?? unknown('offer.name')}`,
      '',
    );
    m.options.forEach((option, i) => {
      lines.push(`### ${vscode.l10n.t('Option {0}: {1}', i + 1, option.type)}`, '');
      lines.push(fenced(contentText(option), languageOf(option)), '');
      const tokens = Object.entries(option.responseTokens);
      if (tokens.length > 0) {
        lines.push(`| ${vscode.l10n.t('Response token')} | ${vscode.l10n.t('Value')} |`, '| --- | --- |');
        for (const [key, value] of tokens) lines.push(`| ${cell(key)} | ${cell(value)} |`);
        lines.push('');
      }
    });
  }
  if (m.trace !== undefined) {
    lines.push(`### ${vscode.l10n.t('Trace')}`, '', fenced(JSON.stringify(m.trace, null, 2), 'json'), '');
  }
  return lines;
}

/** The preview as a Markdown report: one section per mbox, then what Target returned about the call. */
export function renderReport(result: PreviewResult, asked: PreviewAsked, changes?: string[]): string {
  const lines = [
    `# ${vscode.l10n.t('Personalization preview: {0}', asked.visitor)}`,
    '',
    `- ${vscode.l10n.t('Connection')}: ${asked.connectionName} (${asked.clientCode})`,
    `- ${vscode.l10n.t('Page URL')}: ${asked.pageUrl ?? vscode.l10n.t('none')}`,
    `- ${vscode.l10n.t('Property')}: ${asked.property ?? vscode.l10n.t('none')}`,
    `- ${vscode.l10n.t('QA mode')}: ${describeQa(asked.qa)}`,
    `- ${result.mode === 'execute' ? vscode.l10n.t('Executed (impressions counted)') : vscode.l10n.t('Prefetched (nothing counted)')}, ${new Date(asked.time).toISOString()}`,
    '',
  ];
  if (changes) {
    lines.push(`## ${vscode.l10n.t('Changes since the preview before the update')}`, '');
    if (changes.length === 0) lines.push(`> ${unchangedNote()}`, '');
    else lines.push(...changes.map((c) => `- **${c}**`), '');
  }
  for (const m of result.mboxes) lines.push(...mboxSection(m, asked));
  const tntId = typeof result.id.tntId === 'string' ? result.id.tntId : '-';
  lines.push(
    `## ${vscode.l10n.t('Response')}`,
    '',
    `- tntId: \`${tntId}\``,
    `- edgeHost: \`${result.edgeHost ?? '-'}\``,
    `- requestId: \`${result.requestId}\``,
    '',
  );
  return lines.join('\n');
}
