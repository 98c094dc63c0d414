// Uploading a bundle from the browser: pick or drop the file, watch the
// progress, and keep the portal's signed receipt. A dropped connection
// resumes by itself; a closed page resumes when the same file is chosen again.
import { csrfToken } from './api.js';
import type { PageContext } from './app.js';
import { h, replace, visible } from './dom.js';
import { bytes, time } from './format.js';
import { type Outcome, UploadError, upload } from './tus.js';
import { definitionList, errorBox } from './widgets.js';

export function uploadPage({ me, main }: PageContext): void {
  const tenants = me.global_admin ? me.readable : [];
  const tenantSelect =
    tenants.length > 0
      ? h(
          'select',
          { id: 'tenant', name: 'tenant' },
          tenants.map((name) => h('option', { value: name }, name)),
        )
      : undefined;
  const input = h('input', { id: 'bundle-file', type: 'file', name: 'bundle' });
  const progress = h('progress', { max: '100', value: '0', id: 'upload-progress', aria: { label: 'upload progress' } });
  const status = h('p', { class: 'upload-status', aria: { live: 'polite' } });
  const result = h('div');
  const button = h('button', { type: 'submit' }, 'Upload');
  let chosen: File | undefined;
  const choose = (file: File | undefined) => {
    chosen = file;
    replace(status, file ? [visible(file.name), ` (${bytes(file.size)}) is ready to upload.`] : '');
  };
  input.addEventListener('change', () => choose(input.files?.[0]));
  const drop = h(
    'div',
    { class: 'drop', aria: { label: 'drop a bundle here' } },
    h('p', null, 'Drop a bundle file here (.tar.gz, .tar.zst or .age from "shiplog dump"), or choose it:'),
    h('label', { for: 'bundle-file' }, 'Bundle file'),
    input,
  );
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    choose(event.dataTransfer?.files[0]);
  });
  const form = h(
    'form',
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!chosen) {
            replace(status, 'Choose a bundle file first.');
            return;
          }
          if (chosen.size > me.max_upload_bytes) {
            replace(
              result,
              errorBox(new Error(`This file is larger than the ${bytes(me.max_upload_bytes)} the portal accepts.`)),
            );
            return;
          }
          button.disabled = true;
          replace(result);
          const started = Date.now();
          try {
            const outcome = await upload(chosen, {
              ...(tenantSelect && { tenant: tenantSelect.value }),
              csrf: csrfToken(),
              progress: (sent, total) => {
                progress.value = total === 0 ? 100 : Math.floor((sent / total) * 100);
                replace(status, `${bytes(sent)} of ${bytes(total)} sent`);
              },
              notice: (text) => replace(status, text),
            });
            progress.value = 100;
            replace(status, `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
            replace(result, receipt(outcome, me.readable.length > 0));
          } catch (error) {
            replace(result, errorBox(error instanceof UploadError ? error : new Error(String(error))));
          } finally {
            button.disabled = false;
          }
        },
      },
    },
    tenantSelect && [h('label', { for: 'tenant' }, 'Tenant'), tenantSelect],
    drop,
    button,
    progress,
    status,
  );
  replace(
    main,
    h('h1', null, 'Upload a bundle'),
    me.uploads_to && h('p', null, 'Bundles uploaded here go to tenant ', visible(me.uploads_to), '.'),
    form,
    result,
  );
}

function receipt(outcome: Outcome, canRead: boolean): HTMLElement {
  const text = JSON.stringify(outcome.receipt, null, 2);
  const save = h('a', { class: 'button', download: `receipt-${outcome.bundle}.json` }, 'Save the receipt');
  // A blob: address holds the receipt the page already has; it is the one link here not into the portal.
  save.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  return h(
    'section',
    { class: 'receipt', aria: { label: 'receipt' } },
    h('h2', null, outcome.created ? 'Received' : 'Already received before'),
    definitionList([
      [
        'Bundle',
        canRead ? h('a', { href: `/bundles/${encodeURIComponent(outcome.bundle)}` }, outcome.bundle) : outcome.bundle,
      ],
      ['SHA-256', h('code', null, outcome.receipt.sha256)],
      ['Size', bytes(outcome.receipt.size)],
      ['Received at', time(outcome.receipt.received_at)],
      ['Signed by the portal key', h('code', null, outcome.receipt.collector_key)],
    ]),
    h('p', null, 'The receipt is signed by the portal; keep it as proof of what was handed over.'),
    save,
  );
}
