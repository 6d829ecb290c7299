// The results on the big screen, from the keyboard (or a presentation clicker, which sends the
// same keys). Progressive enhancement only: every slide's Previous and Next links do the same.
//
//   ArrowRight, PageDown, Space  next slide
//   ArrowLeft, PageUp            previous slide
//   Home                         the first slide
//   Escape                       back to the results
//
// The addresses are the page's own links (rel="next", rel="prev", data-slide), so this file
// knows nothing about the site's addresses.
const KEYS = {
  ArrowRight: 'a[rel~="next"]',
  PageDown: 'a[rel~="next"]',
  " ": 'a[rel~="next"]',
  ArrowLeft: 'a[rel~="prev"]',
  PageUp: 'a[rel~="prev"]',
  Home: 'a[data-slide="start"]',
  Escape: 'a[data-slide="leave"]',
};

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
    return;
  }
  const field = event.target.closest("input, textarea, select, button, [contenteditable]");
  if (field) {
    return;
  }
  const selector = KEYS[event.key];
  const link = selector && document.querySelector(selector);
  if (!link) {
    return;
  }
  event.preventDefault();
  window.location.assign(link.href);
});
