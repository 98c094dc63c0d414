// The time histogram of a search: one bar per bucket. Drag across bars with
// the mouse, or pick them with the keyboard (arrows move, Shift+arrows
// widen, Enter zooms), to narrow the search to that time.
import { h, replace } from './dom.js';
import { count, time } from './format.js';

export type { HistogramAnswer } from '../../schemas/collector-api.ts';

import type { HistogramAnswer } from '../../schemas/collector-api.ts';

export function histogram(answer: HistogramAnswer, zoom: (from: string, to: string) => void): HTMLElement {
  const buckets = answer.buckets;
  const peak = Math.max(1, ...buckets.map((bucket) => bucket.count));
  const bars = buckets.map((bucket) => {
    const bar = h('div', { class: 'bar', title: `${count(bucket.count)} from ${time(bucket.start)}` });
    bar.style.height = `${Math.max(bucket.count > 0 ? 4 : 0, Math.round((bucket.count / peak) * 100))}%`;
    return h('div', { class: 'slot' }, bar);
  });
  const status = h('p', { class: 'histogram-status', aria: { live: 'polite' } });
  const chart = h(
    'div',
    {
      class: 'histogram',
      tabindex: 0,
      role: 'group',
      aria: { label: 'Matches over time: arrows pick a time, Shift+arrows widen it, Enter narrows the search to it' },
    },
    bars,
  );
  let anchor = -1;
  let focus = -1;
  const range = (): [number, number] => [Math.min(anchor, focus), Math.max(anchor, focus)];
  const show = () => {
    const [low, high] = range();
    bars.forEach((slot, index) => {
      slot.classList.toggle('picked', anchor >= 0 && index >= low && index <= high);
    });
    if (anchor < 0) {
      replace(status);
      return;
    }
    const total = buckets.slice(low, high + 1).reduce((sum, bucket) => sum + bucket.count, 0);
    replace(status, `${time(buckets[low]?.start)} to ${time(endOf(high))}: ${count(total)} matches`);
  };
  const endOf = (index: number) => {
    const start = Date.parse(buckets[index]?.start ?? '');
    return new Date(start + answer.interval_ms).toISOString();
  };
  const apply = () => {
    if (anchor < 0) return;
    const [low, high] = range();
    zoom(buckets[low]?.start as string, endOf(high));
  };
  const indexAt = (x: number) => {
    const box = chart.getBoundingClientRect();
    return Math.min(buckets.length - 1, Math.max(0, Math.floor(((x - box.left) / box.width) * buckets.length)));
  };
  let dragging = false;
  chart.addEventListener('mousedown', (event) => {
    if (buckets.length === 0) return;
    dragging = true;
    anchor = focus = indexAt(event.clientX);
    show();
    event.preventDefault();
  });
  chart.addEventListener('mousemove', (event) => {
    if (!dragging) return;
    focus = indexAt(event.clientX);
    show();
  });
  window.addEventListener('mouseup', () => {
    if (!dragging) return;
    dragging = false;
    apply();
  });
  chart.addEventListener('keydown', (event) => {
    if (buckets.length === 0) return;
    const step = event.key === 'ArrowLeft' ? -1 : event.key === 'ArrowRight' ? 1 : 0;
    if (step !== 0) {
      event.preventDefault();
      const next = Math.min(
        buckets.length - 1,
        Math.max(0, (focus < 0 ? (step > 0 ? -1 : buckets.length) : focus) + step),
      );
      focus = next;
      if (!event.shiftKey || anchor < 0) anchor = next;
      show();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      apply();
    } else if (event.key === 'Escape') {
      anchor = focus = -1;
      show();
    }
  });
  return h('div', { class: 'histogram-box' }, chart, status);
}
