import type { CliCommand } from './io';
import { runFetch } from './fetch';
import { runPreview } from './preview';
import { runScenarioCommand } from './scenario';
import { runStatus } from './status';
import { runSubmit } from './submit';
import { runUpdate } from './update';
import { runValidate } from './validate';

/**
 * The commands of the command line (README.md, 'Command line'). Each lives in its own module under
 * src/cli/ and is built on src/core; this table is the only place the dispatcher learns about them.
 */
export const commands: Record<string, { summary: string; usage: string; options?: string[]; run: CliCommand }> = {
  validate: {
    summary: 'Check batch files against the rules of docs/rules.md',
    usage: 'validate <file>... [--format text|github] [--json]',
    options: [
      '--format text    path:line:column: severity CODE message, one per line, then a summary (the default)',
      '--format github  GitHub Actions workflow commands (::error file=...::message) that annotate the files',
      '--json           one JSON document with every file and diagnostic',
    ],
    run: runValidate,
  },
  update: {
    summary: 'Update one profile (single profile update API); values are taken as typed',
    usage: 'update --client CODE (--pc-id ID | --third-party-id ID) NAME=VALUE... [--base-url URL] [--json]',
    run: runUpdate,
  },
  fetch: {
    summary: 'Look up one profile and print it as Target returns it',
    usage: 'fetch --client CODE (--pc-id ID | --third-party-id ID | --ecid ID) [--base-url URL] [--json]',
    run: runFetch,
  },
  submit: {
    summary: 'Validate a batch file, then upload it (split when over 50 MB or 500,000 rows)',
    usage: 'submit <file> --client CODE [--api v1|v2] [--wait] [--base-url URL] [--json]',
    run: runSubmit,
  },
  status: {
    summary: 'Show the status of a submitted batch',
    usage: 'status <batchStatusUrl> [--details] [--json]',
    run: runStatus,
  },
  preview: {
    summary:
      "Show what Target's Delivery API serves a visitor on each mbox: activity, experience, offer and content (prefetch: nothing counted)",
    usage:
      'preview --client CODE (--pc-id ID | --third-party-id ID | --ecid ID) --mbox NAME... [--execute] [--url PAGE_URL] [--property-token-env VAR] [--qa-url URL] [--trace] [--base-url URL] [--json]',
    options: [
      '--mbox NAME              an mbox to preview; repeat it for several (at most 50)',
      '--execute                decide with impressions counted (needed for Automated Personalization, Auto-Target, Recommendations)',
      '--url PAGE_URL           the page the visitor is on (context.address.url and context.browser.host)',
      '--property-token-env VAR the environment variable holding the property token (default TARGET_PROPERTY_TOKEN, used when set)',
      '--qa-url URL             an Activity QA link; its at_preview_* parameters are sent as qaMode',
      '--trace                  ask for the trace, with the mboxTrace token from TARGET_TRACE_TOKEN or the Developer Console credentials',
      '--json                   {"edgeHost","id","requestId","mboxes":[{"name","options","activity","experience","offer"}]}',
    ],
    run: runPreview,
  },
  scenario: {
    summary:
      'Run QA scenario files (*.targetprofile.json[c]): updates, waits, verifies, batches, previews (with TARGET_PROPERTY_TOKEN when set; a step naming a "property" needs it); a scenario\'s "connection" is ignored, --client is used',
    usage: 'scenario <file>... --client CODE [--base-url URL] [--json]',
    run: runScenarioCommand,
  },
};
