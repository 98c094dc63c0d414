// Injected by bench/portal.bench.ts into every page before the portal's own
// script: records, on the page's clock from navigation start, when the first
// search result is drawn and when the histogram and facets have arrived too.
const marks = { firstHit: -1, complete: -1 };
window.__marks = marks;
new MutationObserver(() => {
  if (marks.firstHit < 0 && document.querySelector('li.hit')) marks.firstHit = performance.now();
  const facets = document.querySelector('.facets section, .facets .error');
  const graph = document.querySelector('.histogram, .histogram-holder .error');
  if (marks.complete < 0 && marks.firstHit >= 0 && facets && graph) marks.complete = performance.now();
}).observe(document, { childList: true, subtree: true });
