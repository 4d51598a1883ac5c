// Layout checks run inside a page (no imports): Playwright calls the function, the WebDriver
// suites send its source to Firefox and WebKit.

/**
 * Layout facts of every row at the host's current width (run in the page; the WebDriver
 * suites send the same function's source to Firefox and WebKit): names ellipsised with the
 * full name in `title`, no word of the state broken across lines, state and speed apart, and
 * nothing wider than the element.
 */
export function layoutFacts(host) {
  const root = host.shadowRoot;
  const rows = [...root.querySelectorAll('[data-testid="file-row"]')];
  const brokenWords = [];
  const overlaps = [];
  const overflow = [];
  const names = [];
  for (const row of rows) {
    const name = row.querySelector(".name");
    names.push({ text: name.textContent.trim(), title: name.getAttribute("title"),
      ellipsised: name.scrollWidth > name.clientWidth + 1 });
    if (row.scrollWidth > row.clientWidth + 1) overflow.push(name.textContent);
    const state = row.querySelector('[data-testid="file-state"] > span:last-child');
    const node = state.firstChild;
    if (node && node.nodeType === 3) {
      const text = node.textContent;
      const re = /\S+/g;
      let m;
      while ((m = re.exec(text))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
        if (tops.size > 1) brokenWords.push(m[0]);
      }
    }
    const a = row.querySelector('[data-testid="file-state"]').getBoundingClientRect();
    const b = row.querySelector('[data-testid="file-rate"]').getBoundingClientRect();
    const apart = b.width === 0 || a.right <= b.left + 0.5 || a.bottom <= b.top + 0.5 || b.right <= a.left + 0.5;
    if (!apart) overlaps.push(name.textContent);
  }
  return {
    hostWidth: host.getBoundingClientRect().width,
    widest: Math.max(...[...root.querySelectorAll("*")].map((e) => e.getBoundingClientRect().right))
      - host.getBoundingClientRect().left,
    rows: rows.length, names, brokenWords, overlaps, overflow,
  };
}
